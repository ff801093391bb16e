import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { getManyValues, isMany, none } from 'stream-chain/defs.js';
import { jsonParser, type Token } from 'stream-json/core/parser.js';
import { FeedError } from '../../errors';

/**
 * Streams a JSON document and hands out only the values a caller asks for, each built whole,
 * so a 100 MB feed is held one record at a time. Where each value sits is kept as a JSON path,
 * and syntax errors say the path and byte range they were found in.
 */

export type JsonPath = Array<string | number>;
export type JsonContainer = 'object' | 'array';

export interface JsonValueAt {
  path: JsonPath;
  value: unknown;
}

/**
 * Decides, for the value starting at `path`, whether to build it whole (true) or walk into it
 * (false). Scalars are always handed out, so callers see, and can reject, a scalar where they
 * expected a container.
 */
export type TakeValue = (path: JsonPath, kind: JsonContainer) => boolean;

/** `$[3].affected[0]["odd key"]`: the JSONPath form used in error messages. */
export function formatJsonPath(path: JsonPath): string {
  let out = '$';
  for (const step of path) {
    if (typeof step === 'number') out += `[${step}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(step)) out += `.${step}`;
    else out += `[${JSON.stringify(step)}]`;
  }
  return out;
}

interface Walk {
  kind: JsonContainer;
  /** The next child's key, or the next element's index. */
  key: string | number | undefined;
}

type Container = Record<string, unknown> | unknown[];

/** One value being built: its containers from the outermost, with the key awaiting a value. */
interface Build {
  path: JsonPath;
  stack: Array<{ container: Container; key: string | undefined }>;
}

type Tokenizer = (text: string | typeof none) => ReturnType<ReturnType<typeof jsonParser>>;

export async function* streamJsonValues(input: Readable, file: string, take: TakeValue): AsyncGenerator<JsonValueAt> {
  const tokenize = jsonParser({ packValues: true, streamValues: false }) as unknown as Tokenizer;
  const decoder = new StringDecoder('utf8');
  const walk: Walk[] = [];
  let build: Build | undefined;
  let rootSeen = false;
  let bytesBefore = 0;
  let bytesAfter = 0;
  const out: JsonValueAt[] = [];

  const currentPath = (): JsonPath => {
    const path: JsonPath = [];
    for (const frame of walk) if (frame.key !== undefined) path.push(frame.key);
    return path;
  };
  /** After a value ends inside an array, the next element gets the next index. */
  const advance = (): void => {
    const top = walk[walk.length - 1];
    if (top?.kind === 'array' && typeof top.key === 'number') top.key += 1;
  };
  const place = (value: unknown): boolean => {
    if (!build) return false;
    const top = build.stack[build.stack.length - 1];
    if (!top) return false;
    if (Array.isArray(top.container)) top.container.push(value);
    else if (top.key !== undefined) top.container[top.key] = value;
    return true;
  };
  const finishBuild = (value: unknown): void => {
    if (!build) return;
    out.push({ path: build.path, value });
    build = undefined;
    advance();
  };
  const scalar = (value: unknown): void => {
    if (build) {
      place(value);
      return;
    }
    rootSeen = true;
    out.push({ path: currentPath(), value });
    advance();
  };
  const open = (kind: JsonContainer): void => {
    const container: Container = kind === 'object' ? {} : [];
    if (build) {
      place(container);
      build.stack.push({ container, key: undefined });
      return;
    }
    rootSeen = true;
    const path = currentPath();
    if (take(path, kind)) {
      build = { path, stack: [{ container, key: undefined }] };
      return;
    }
    walk.push({ kind, key: kind === 'array' ? 0 : undefined });
  };
  const close = (): void => {
    if (build) {
      const done = build.stack.pop();
      if (build.stack.length === 0 && done) finishBuild(done.container);
      return;
    }
    walk.pop();
    advance();
  };
  const handle = (token: Token): void => {
    switch (token.name) {
      case 'startObject':
        return open('object');
      case 'startArray':
        return open('array');
      case 'endObject':
      case 'endArray':
        return close();
      case 'keyValue': {
        const top = build ? build.stack[build.stack.length - 1] : undefined;
        if (top) top.key = token.value;
        else {
          const frame = walk[walk.length - 1];
          if (frame) frame.key = token.value;
        }
        return;
      }
      case 'stringValue':
        return scalar(token.value);
      case 'numberValue':
        return scalar(Number(token.value));
      case 'nullValue':
        return scalar(null);
      case 'trueValue':
        return scalar(true);
      case 'falseValue':
        return scalar(false);
      default:
        return;
    }
  };
  const feed = (text: string | typeof none): void => {
    let result;
    try {
      result = tokenize(text);
    } catch (e) {
      const where = build ? formatJsonPath([...build.path, ...innerPath(build)]) : formatJsonPath(currentPath());
      const range = text === none ? `at the end (byte ${bytesAfter})` : `in bytes ${bytesBefore}–${bytesAfter}`;
      const reason = e instanceof Error ? e.message.replace(/^Parser (cannot parse input: )?/, '') : String(e);
      throw new FeedError(`malformed JSON ${range}, after ${where}: ${reason}`, { file }, { cause: e });
    }
    if (isMany(result)) for (const token of getManyValues(result) as Token[]) handle(token);
  };

  for await (const chunk of input) {
    const bytes = typeof chunk === 'string' ? Buffer.byteLength(chunk) : (chunk as Buffer).length;
    bytesBefore = bytesAfter;
    bytesAfter += bytes;
    const text = typeof chunk === 'string' ? chunk : decoder.write(chunk as Buffer);
    if (text) feed(text);
    yield* out.splice(0);
  }
  const rest = decoder.end();
  bytesBefore = bytesAfter;
  if (rest) feed(rest);
  if (!rootSeen) throw new FeedError('empty JSON document', { file });
  feed(none);
  yield* out.splice(0);
}

/** The keys inside a value being built, for errors raised midway through it. */
function innerPath(build: Build): JsonPath {
  const path: JsonPath = [];
  for (let i = 0; i < build.stack.length; i++) {
    const frame = build.stack[i]!;
    const next = build.stack[i + 1];
    if (Array.isArray(frame.container)) path.push(next ? frame.container.length - 1 : frame.container.length);
    else if (frame.key !== undefined) path.push(frame.key);
  }
  return path;
}
