import { AnalyzerError } from '../../errors';
import type { OsInfo } from '../../inventory/types';
import type { Analyzer, FileFindings, LayerFile } from './analyzer';
import { decodeText } from './text-records';

type ReleaseReader = (text: string, path: string) => OsInfo;

function fail(path: string, message: string): never {
  throw new AnalyzerError(`${path}: ${message}`, { file: path });
}

/** Quotes a piece of a file for an error message without flooding it. */
function excerpt(text: string): string {
  return JSON.stringify(text.length > 80 ? `${text.slice(0, 80)}…` : text);
}

function skipToLineEnd(text: string, from: number): number {
  const end = text.indexOf('\n', from);
  return end < 0 ? text.length : end;
}

const ASSIGNMENT_NAME = /[A-Za-z_][A-Za-z0-9_]*=/y;
// Inside double quotes the shell removes a backslash only before these characters.
const DOUBLE_QUOTE_ESCAPES = '$`"\\\n';

/**
 * Reads the shell-compatible `KEY=value` syntax of os-release(5) and lsb-release: single and
 * double quotes (concatenated as the shell would), backslash escapes, line continuations and
 * `#` comments. Values are never expanded. Blanks inside an unquoted value are kept, as
 * systemd's reader does, because hand-written files forget the quotes.
 */
function parseAssignments(text: string, path: string): Map<string, string> {
  const vars = new Map<string, string>();
  let i = 0;
  let line = 1;
  while (i < text.length) {
    while (text[i] === ' ' || text[i] === '\t') i++;
    if (i >= text.length) break;
    if (text[i] === '\n') {
      i++;
      line++;
      continue;
    }
    if (text[i] === '#') {
      i = skipToLineEnd(text, i);
      continue;
    }
    ASSIGNMENT_NAME.lastIndex = i;
    const name = ASSIGNMENT_NAME.exec(text);
    if (!name) fail(path, `line ${line} is not a KEY=value assignment: ${excerpt(text.slice(i, skipToLineEnd(text, i)))}`);
    i = ASSIGNMENT_NAME.lastIndex;
    let value = '';
    while (i < text.length && text[i] !== '\n') {
      const ch = text[i];
      if (ch === "'") {
        const end = text.indexOf("'", i + 1);
        if (end < 0) fail(path, `unterminated single quote on line ${line}`);
        const quoted = text.slice(i + 1, end);
        value += quoted;
        line += quoted.split('\n').length - 1;
        i = end + 1;
      } else if (ch === '"') {
        const start = line;
        i++;
        for (;;) {
          if (i >= text.length) fail(path, `unterminated double quote on line ${start}`);
          const c = text[i];
          if (c === '"') {
            i++;
            break;
          }
          if (c === '\\' && i + 1 < text.length && DOUBLE_QUOTE_ESCAPES.includes(text[i + 1])) {
            if (text[i + 1] === '\n') line++;
            else value += text[i + 1];
            i += 2;
            continue;
          }
          if (c === '\n') line++;
          value += c;
          i++;
        }
      } else if (ch === '\\') {
        if (text[i + 1] === '\n') line++;
        else if (i + 1 < text.length) value += text[i + 1];
        i += 2;
      } else if (ch === ' ' || ch === '\t') {
        let j = i;
        while (text[j] === ' ' || text[j] === '\t') j++;
        if (j >= text.length || text[j] === '\n') {
          i = j;
        } else if (text[j] === '#') {
          i = skipToLineEnd(text, j);
        } else {
          value += text.slice(i, j);
          i = j;
        }
      } else {
        value += ch;
        i++;
      }
    }
    vars.set(name[0].slice(0, -1), value);
  }
  return vars;
}

function nonEmpty(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed ? trimmed : undefined;
}

const fromOsRelease: ReleaseReader = (text, path) => {
  const vars = parseAssignments(text, path);
  const get = (key: string): string | undefined => nonEmpty(vars.get(key));
  const id = get('ID')?.toLowerCase();
  // Rolling releases (Debian testing and sid) carry no VERSION_ID; their codename names the release.
  const version = get('VERSION_ID') ?? get('VERSION_CODENAME');
  if (!id && !version) fail(path, 'neither ID nor VERSION_ID is set');
  // os-release(5): a missing ID means "linux".
  const info: OsInfo = { id: id ?? 'linux', version: version ?? '' };
  const name = get('NAME');
  if (name) info.name = name;
  const prettyName = get('PRETTY_NAME');
  if (prettyName) info.prettyName = prettyName;
  const codename = get('VERSION_CODENAME');
  if (codename) info.versionCodename = codename;
  const idLike = get('ID_LIKE');
  if (idLike) info.idLike = idLike.toLowerCase().split(/\s+/);
  const cpe = get('CPE_NAME');
  if (cpe) info.cpe = cpe;
  return info;
};

const fromLsbRelease: ReleaseReader = (text, path) => {
  const vars = parseAssignments(text, path);
  const get = (key: string): string | undefined => nonEmpty(vars.get(key));
  const id = get('DISTRIB_ID')?.toLowerCase();
  if (!id) fail(path, 'DISTRIB_ID is not set');
  const codename = get('DISTRIB_CODENAME');
  const info: OsInfo = { id, version: get('DISTRIB_RELEASE') ?? codename ?? '' };
  if (codename) info.versionCodename = codename;
  const description = get('DISTRIB_DESCRIPTION');
  if (description) info.prettyName = description;
  return info;
};

function firstLine(text: string, path: string): string {
  const line = text
    .split('\n')
    .map((l) => l.trim())
    .find((l) => l !== '');
  if (line === undefined) fail(path, 'file is empty');
  return line;
}

const REDHAT_RELEASE = /^(.+?)\s+release\s+([0-9][0-9A-Za-z._-]*)(?:\s+\(.*\))?$/;
// Distribution names as their release files spell them, mapped to the ID their os-release uses.
const REDHAT_FAMILY: ReadonlyArray<readonly [RegExp, string]> = [
  [/^Red Hat Enterprise Linux\b/, 'rhel'],
  [/^CentOS\b/, 'centos'],
  [/^Fedora\b/, 'fedora'],
  [/^Rocky Linux\b/, 'rocky'],
  [/^AlmaLinux\b/, 'almalinux'],
  [/^Oracle Linux\b/, 'ol'],
];

const fromRedhatRelease: ReleaseReader = (text, path) => {
  const line = firstLine(text, path);
  const match = REDHAT_RELEASE.exec(line);
  if (!match) fail(path, `not a "<distribution> release <version>" line: ${excerpt(line)}`);
  const family = REDHAT_FAMILY.find(([pattern]) => pattern.test(match[1]));
  if (!family) fail(path, `unknown distribution ${excerpt(match[1])}`);
  return { id: family[1], version: match[2], name: match[1], prettyName: line };
};

const ALPINE_VERSION = /^[0-9]+\.[0-9]+[0-9A-Za-z._]*$/;

const fromAlpineRelease: ReleaseReader = (text, path) => {
  const line = firstLine(text, path);
  if (!ALPINE_VERSION.test(line)) fail(path, `not an Alpine version: ${excerpt(line)}`);
  return { id: 'alpine', version: line };
};

const DEBIAN_POINT_RELEASE = /^[0-9]+(?:\.[0-9]+)*$/;
// Testing and unstable write "<next codename>/sid"; the codename is the release they turn into.
const DEBIAN_DEVELOPMENT = /^([a-z]+)\/sid$/;

const fromDebianVersion: ReleaseReader = (text, path) => {
  const line = firstLine(text, path);
  if (DEBIAN_POINT_RELEASE.test(line)) return { id: 'debian', version: line };
  const development = DEBIAN_DEVELOPMENT.exec(line);
  if (!development) fail(path, `not a Debian version: ${excerpt(line)}`);
  return { id: 'debian', version: development[1], versionCodename: development[1] };
};

/**
 * Release files and their ranks; the lowest rank wins when several survive in an image.
 * os-release is authoritative wherever it exists, etc/ before usr/lib/ as os-release(5) says.
 * The distribution's own centos-release beats redhat-release, which derivatives keep for
 * compatibility. lsb-release beats debian_version because Ubuntu ships a debian_version that
 * names its Debian base ("bookworm/sid"). The fallbacks cover images too old for os-release
 * (RHEL/CentOS 6, early Alpine, Debian before 7).
 */
const RELEASE_FILES: ReadonlyMap<string, { rank: number; read: ReleaseReader }> = new Map([
  ['etc/os-release', { rank: 0, read: fromOsRelease }],
  ['usr/lib/os-release', { rank: 1, read: fromOsRelease }],
  ['etc/centos-release', { rank: 2, read: fromRedhatRelease }],
  ['etc/redhat-release', { rank: 3, read: fromRedhatRelease }],
  ['etc/alpine-release', { rank: 4, read: fromAlpineRelease }],
  ['etc/lsb-release', { rank: 5, read: fromLsbRelease }],
  ['etc/debian_version', { rank: 6, read: fromDebianVersion }],
]);

export const osReleaseAnalyzer: Analyzer = {
  name: 'os-release',
  version: 1,
  wants(path: string): boolean {
    return RELEASE_FILES.has(path);
  },
  parse(file: LayerFile): FileFindings {
    const source = RELEASE_FILES.get(file.path);
    if (!source) fail(file.path, 'not a release file the os-release analyzer reads');
    const text = decodeText(file, file.path).replace(/\r\n/g, '\n');
    return { os: { ...source.read(text, file.path), rank: source.rank } };
  },
};
