import { AnalyzerError } from '../../errors';
import type { Package } from '../../inventory/types';
import type { Analyzer, FileFindings, LayerFile } from './analyzer';
import { decodeText, splitRecords, type TextRecord } from './text-records';

/**
 * dpkg databases: the classic `var/lib/dpkg/status`, and distroless images' `status.d/`, which
 * holds one deb822 file per package (next to `*.md5sums` files that are not package records).
 *
 * A status file with no stanza at all (zero bytes, or only blank lines) is an empty database:
 * that is what dpkg writes when nothing is installed. Anything else that does not parse fails.
 */

const STATUS_FILE = 'var/lib/dpkg/status';
const STATUS_DIR = 'var/lib/dpkg/status.d/';

interface Field {
  value: string;
  line: number;
}

type Stanza = Map<string, Field>;

// Policy allows [a-z0-9+.-]; dpkg's own check is laxer, and what dpkg installed must still read.
const PACKAGE_NAME = /^[A-Za-z0-9][A-Za-z0-9+._-]*$/;
const EPOCH = /^[0-9]+$/;
const UPSTREAM = /^[A-Za-z0-9.+~:-]+$/;
const REVISION = /^[A-Za-z0-9.+~]+$/;
const FIELD_LINE = /^([^\s:#-][^\s:]*):(.*)$/;
const SOURCE = /^(\S+)(?:\s+\((\S+)\))?$/;

const WANTS = new Set(['unknown', 'install', 'hold', 'deinstall', 'purge']);
const ERROR_FLAGS = new Set(['ok', 'reinstreq']);
const UNPACKED_STATES = new Set(['unpacked', 'half-configured', 'triggers-awaited', 'triggers-pending', 'installed']);
const STATES = new Set([...UNPACKED_STATES, 'not-installed', 'config-files', 'half-installed']);

function isStatusDirEntry(path: string): boolean {
  if (!path.startsWith(STATUS_DIR)) return false;
  const name = path.slice(STATUS_DIR.length);
  return name !== '' && !name.includes('/') && !name.endsWith('.md5sums');
}

function formatOf(path: string): 'status' | 'status.d' {
  if (path === STATUS_FILE) return 'status';
  if (isStatusDirEntry(path)) return 'status.d';
  throw new AnalyzerError('dpkg analyzer was handed a file that is not a dpkg database', { file: path });
}

/** dpkg's version syntax `[epoch:]upstream[-revision]`; colons need an epoch, as in dpkg. */
function isDpkgVersion(version: string): boolean {
  const colon = version.indexOf(':');
  if (colon >= 0 && !EPOCH.test(version.slice(0, colon))) return false;
  const rest = colon >= 0 ? version.slice(colon + 1) : version;
  const hyphen = rest.lastIndexOf('-');
  const upstream = hyphen >= 0 ? rest.slice(0, hyphen) : rest;
  if (!UPSTREAM.test(upstream)) return false;
  return hyphen < 0 || REVISION.test(rest.slice(hyphen + 1));
}

function readStanza(record: TextRecord, file: string): Stanza {
  const stanza: Stanza = new Map();
  let last: Field | undefined;
  for (const { number, text } of record.lines) {
    if (text.startsWith(' ') || text.startsWith('\t')) {
      if (!last) throw new AnalyzerError(`dpkg database: continuation line ${number} has no field to continue`, { file });
      last.value += `\n${text.trim()}`;
      continue;
    }
    const match = FIELD_LINE.exec(text);
    if (!match) throw new AnalyzerError(`dpkg database: line ${number} is not a "Field: value" line`, { file });
    const key = match[1].toLowerCase();
    if (stanza.has(key)) {
      throw new AnalyzerError(`dpkg database: field ${match[1]} repeated on line ${number}`, { file });
    }
    last = { value: match[2].trim(), line: number };
    stanza.set(key, last);
  }
  return stanza;
}

/**
 * A package counts when dpkg has finished unpacking its files, whatever the selection or the
 * error flag: `hold ok installed`, `deinstall ok installed` or a package stuck before its
 * triggers ran still has every file on disk, so it can still be exploited. Only packages that
 * are gone, reduced to conffiles, or half unpacked (no telling which files exist) are left out.
 * A stanza without Status (distroless status.d) has no sign of removal, so it counts.
 */
function hasFilesOnDisk(stanza: Stanza, file: string): boolean {
  const status = stanza.get('status');
  if (!status) return true;
  const words = status.value.split(/\s+/);
  const [want, flag, state] = words;
  if (words.length !== 3 || !WANTS.has(want) || !ERROR_FLAGS.has(flag) || !STATES.has(state)) {
    throw new AnalyzerError(`dpkg database: invalid Status "${status.value}" on line ${status.line}`, { file });
  }
  return UNPACKED_STATES.has(state);
}

function toPackage(stanza: Stanza, name: Field, file: string): Package {
  const version = stanza.get('version');
  if (!version) throw new AnalyzerError(`dpkg database: package ${name.value} (line ${name.line}) has no Version`, { file });
  if (!isDpkgVersion(version.value)) {
    throw new AnalyzerError(`dpkg database: invalid Version "${version.value}" on line ${version.line}`, { file });
  }
  const pkg: Package = {
    ecosystem: 'dpkg',
    name: name.value,
    version: version.value,
    source: name.value,
    sourceVersion: version.value,
  };
  const arch = stanza.get('architecture');
  if (arch) pkg.arch = arch.value;
  const source = stanza.get('source');
  if (source) {
    const match = SOURCE.exec(source.value);
    if (!match || !PACKAGE_NAME.test(match[1]) || (match[2] !== undefined && !isDpkgVersion(match[2]))) {
      throw new AnalyzerError(`dpkg database: invalid Source "${source.value}" on line ${source.line}`, { file });
    }
    pkg.source = match[1];
    if (match[2] !== undefined) pkg.sourceVersion = match[2];
  }
  return pkg;
}

function parseDatabase(file: LayerFile): Package[] {
  const text = decodeText(file, 'dpkg database');
  const packages: Package[] = [];
  for (const record of splitRecords(text)) {
    const stanza = readStanza(record, file.path);
    const name = stanza.get('package');
    if (!name) {
      throw new AnalyzerError(`dpkg database: stanza at line ${record.firstLine} has no Package field`, { file: file.path });
    }
    if (!PACKAGE_NAME.test(name.value)) {
      throw new AnalyzerError(`dpkg database: invalid Package "${name.value}" on line ${name.line}`, { file: file.path });
    }
    if (hasFilesOnDisk(stanza, file.path)) packages.push(toPackage(stanza, name, file.path));
  }
  return packages;
}

export const dpkgAnalyzer: Analyzer = {
  name: 'dpkg',
  version: 1,
  wants(path: string): boolean {
    return path === STATUS_FILE || isStatusDirEntry(path);
  },
  parse(file: LayerFile): FileFindings {
    return { packageDb: { ecosystem: 'dpkg', format: formatOf(file.path), packages: parseDatabase(file) } };
  },
};
