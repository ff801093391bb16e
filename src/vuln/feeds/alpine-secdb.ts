import type { Readable } from 'node:stream';
import { LineCounter, parseDocument, isNode } from 'yaml';
import { z } from 'zod';
import { FeedError } from '../../errors';
import type { Advisory } from '../advisory';
import { schemeFor } from '../versions';
import type { FeedContext, FeedFormat } from './feed-format';
import { checkShape } from './feed-shape';
import { formatJsonPath, streamJsonValues, type JsonPath } from './json-values';
import { alpineNamespace } from './namespaces';
import { peekStream } from './peek-stream';

/**
 * Alpine secdb (secdb.alpinelinux.org, YAML or JSON): per branch and repository, each package
 * origin lists `secfixes: {fixed-version: [ids…]}`. Alpine's convention (APKBUILD secfixes) is
 * that the version `0` lists issues that never affected the branch's package: not-affected.
 * The secdb carries no severity.
 */

/** YAML secdb files are a few hundred KB; a larger one is not a secdb and is refused. */
const MAX_YAML_BYTES = 64 * 1024 * 1024;

const secfixes = z.record(z.string(), z.array(z.string()).min(1, 'lists no ids'));
const packageEntry = z.object({
  pkg: z.object({ name: z.string().min(1), secfixes: secfixes.nullish() }),
});
const secdbYaml = z.object({
  distroversion: z.string(),
  reponame: z.string().nullish(),
  packages: z.array(packageEntry).nullish(),
});
type PackageEntry = z.infer<typeof packageEntry>;

export const alpineSecdbFormat: FeedFormat = {
  name: 'alpine-secdb',
  detect(head: string): boolean {
    return /^distroversion\s*:/m.test(head) || /"distroversion"\s*:/.test(head);
  },
  parse(input: Readable, context: FeedContext): AsyncIterable<Advisory> {
    return parseSecdb(input, context);
  },
};

async function* parseSecdb(input: Readable, context: FeedContext): AsyncGenerator<Advisory> {
  const { head, stream } = await peekStream(input, 1);
  if (head.toString('utf8').trimStart().startsWith('{')) yield* parseJson(stream, context);
  else yield* parseYaml(stream, context);
}

/** JSON is streamed package by package; `distroversion` may come after `packages`, so those wait. */
async function* parseJson(input: Readable, context: FeedContext): AsyncGenerator<Advisory> {
  const file = context.file;
  let namespace: string | undefined;
  const waiting: Array<{ entry: PackageEntry; path: JsonPath }> = [];
  const isPackage = (path: JsonPath): boolean => path.length === 2 && path[0] === 'packages' && typeof path[1] === 'number';
  for await (const { path, value } of streamJsonValues(input, file, isPackage)) {
    if (typeof path[0] !== 'string') throw new FeedError('a secdb JSON document is an object', { file });
    if (path.length === 1 && path[0] === 'distroversion') {
      namespace = namespaceOf(value, formatJsonPath(path), file);
      for (const held of waiting.splice(0)) yield* advisoriesOf(held.entry, namespace, held.path, context);
    } else if (isPackage(path)) {
      const entry = checkShape(packageEntry, value, file, (inner) => formatJsonPath([...path, ...(inner as JsonPath)]));
      if (namespace) yield* advisoriesOf(entry, namespace, path, context);
      else waiting.push({ entry, path });
    } else if (path[0] === 'packages' && !(path.length === 1 && value === null)) {
      throw new FeedError(`secdb packages must be an array of {pkg} objects, found ${JSON.stringify(value)} at ${formatJsonPath(path)}`, { file });
    }
  }
  if (!namespace) throw new FeedError('secdb has no distroversion', { file });
}

async function* parseYaml(input: Readable, context: FeedContext): AsyncGenerator<Advisory> {
  const file = context.file;
  const text = await readText(input, file);
  const lines = new LineCounter();
  // failsafe keeps every scalar a string: version keys such as 1.10 must not become numbers.
  const doc = parseDocument(text, { schema: 'failsafe', lineCounter: lines, prettyErrors: false });
  const problem = doc.errors[0];
  if (problem) {
    const { line, col } = lines.linePos(problem.pos[0]);
    throw new FeedError(`malformed YAML at line ${line}, column ${col}: ${problem.message.split('\n')[0]}`, { file });
  }
  // A missing key has no node of its own: the line of the nearest enclosing node is given.
  const lineOf = (path: ReadonlyArray<PropertyKey>): string => {
    let offset: number | undefined;
    for (let depth = path.length; depth >= 0 && offset === undefined; depth--) {
      const node = depth === 0 ? doc.contents : doc.getIn(path.slice(0, depth) as Array<string | number>, true);
      if (isNode(node) && node.range) offset = node.range[0];
    }
    const at = offset === undefined ? '' : ` (line ${lines.linePos(offset).line})`;
    return `${formatJsonPath(path as JsonPath)}${at}`;
  };
  const secdb = checkShape(secdbYaml, doc.toJS(), file, lineOf);
  const namespace = namespaceOf(secdb.distroversion, lineOf(['distroversion']), file);
  for (const [index, entry] of (secdb.packages ?? []).entries()) {
    yield* advisoriesOf(entry, namespace, ['packages', index], context, lineOf);
  }
}

async function readText(input: Readable, file: string): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of input) {
    const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
    size += buffer.length;
    if (size > MAX_YAML_BYTES) throw new FeedError(`YAML secdb larger than ${MAX_YAML_BYTES} bytes`, { file });
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function namespaceOf(distroversion: unknown, where: string, file: string): string {
  const namespace = typeof distroversion === 'string' ? alpineNamespace(distroversion) : undefined;
  if (!namespace) throw new FeedError(`distroversion ${JSON.stringify(distroversion)} at ${where} is not an Alpine release`, { file });
  return namespace;
}

/**
 * One advisory per (id, package). An id listed under several versions keeps the highest one:
 * within a branch a package only moves forward, so the last fix is the one that holds. A real
 * version beats `0`, since a later fix means the branch was affected after all.
 */
function* advisoriesOf(
  entry: PackageEntry,
  namespace: string,
  path: JsonPath,
  context: FeedContext,
  where: (path: ReadonlyArray<PropertyKey>) => string = (p) => formatJsonPath(p as JsonPath),
): Generator<Advisory> {
  const apk = schemeFor('apk');
  const chosen = new Map<string, { version: string; aliases: Set<string> }>();
  for (const [version, items] of Object.entries(entry.pkg.secfixes ?? {})) {
    items.forEach((item, index) => {
      const ids = idsOf(item);
      const [id, ...aliases] = ids;
      if (!id) {
        const at = where([...path, 'pkg', 'secfixes', version, index]);
        throw new FeedError(`secfixes entry ${JSON.stringify(item)} at ${at} names no advisory id`, { file: context.file });
      }
      const held = chosen.get(id);
      const wins = !held || (held.version === '0' ? version !== '0' : version !== '0' && apk.compare(version, held.version) > 0);
      const merged = new Set([...(held?.aliases ?? []), ...aliases]);
      chosen.set(id, { version: wins ? version : held.version, aliases: merged });
    });
  }
  for (const [id, { version, aliases }] of chosen) {
    const notAffected = version === '0';
    yield {
      id,
      aliases: [...aliases],
      namespace,
      ecosystem: 'apk',
      package: entry.pkg.name,
      state: notAffected ? 'not-affected' : 'fixed',
      ...(notAffected ? {} : { fixedVersion: version }),
      severity: 'Unknown',
      references: [],
      feed: context.feed,
    };
  }
}

/**
 * The ids in one secfixes item. Items are mostly a bare CVE id, but some carry more ids or a
 * remark (`CVE-2019-5060 TALOS-2019-0844`, `CVE-2019-15167 (VRRP)`, `CVE-????-?????  XSA-295`,
 * `CVE_2019-2426`): every word shaped like an advisory id counts, the first being the id.
 */
export function idsOf(item: string): string[] {
  const ids: string[] = [];
  for (const word of item.trim().split(/\s+/)) {
    const normalised = word.replace(/^CVE_(?=\d{4}-\d+$)/, 'CVE-');
    if (/^[A-Z][A-Z0-9]*-[A-Za-z0-9][A-Za-z0-9._:-]*$/.test(normalised) && !ids.includes(normalised)) ids.push(normalised);
  }
  return ids;
}
