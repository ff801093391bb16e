import { createReadStream } from 'node:fs';
import type { Stats } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough, Readable, pipeline } from 'node:stream';
import { createGunzip } from 'node:zlib';
import bz2 from 'unbzip2-stream';
import { XzReadableStream } from 'xz-decompress';
import { openPromise, type ZipFile } from 'yauzl';
import { FeedError, messageOf } from '../../errors';

/** One feed file to parse: a file on disk, a decompressed file, or a zip member. */
export interface FeedMember {
  /** Where it came from, for errors and provenance: a path, or `archive.zip!member`. */
  file: string;
  /** Its content, decompressed; read errors surface as FeedError naming `file`. */
  stream: Readable;
}

type Codec = { name: string; open: (raw: Readable) => Readable };

const CODECS: Array<{ suffix: string; codec: Codec }> = [
  { suffix: '.gz', codec: { name: 'gzip', open: (raw) => piped(raw, createGunzip()) } },
  { suffix: '.bz2', codec: { name: 'bzip2', open: (raw) => piped(raw, bz2() as unknown as NodeJS.ReadWriteStream) } },
  { suffix: '.xz', codec: { name: 'xz', open: (raw) => Readable.fromWeb(new XzReadableStream(Readable.toWeb(raw))) } },
];

/** The name a member has once decompressed (`main.json.gz` → `main.json`), for format detection. */
export function decompressedName(file: string): string {
  const codec = CODECS.find((c) => file.endsWith(c.suffix));
  return codec ? file.slice(0, -codec.suffix.length) : file;
}

/** Inside folders, only these (once decompressed) are feed files; READMEs and licences are not. */
const FEED_EXTENSIONS = ['.json', '.yaml', '.yml', '.xml'];

function isFeedName(name: string): boolean {
  return name.endsWith('.zip') || FEED_EXTENSIONS.some((ext) => decompressedName(name).endsWith(ext));
}

/**
 * Opens a feed path: a folder is walked in sorted order, taking the files named like feeds
 * (`.json`, `.yaml`, `.yml`, `.xml`, compressed or not, and `.zip`) and leaving out dot-files;
 * `.gz`, `.bz2` and `.xz` files are decompressed as they are read, and a `.zip` yields its
 * members one at a time in archive order. A file named explicitly is always opened. Each
 * member must be read (or abandoned) before asking for the next.
 */
export async function* openFeedFile(path: string): AsyncGenerator<FeedMember> {
  if ((await statOf(path)).isDirectory()) {
    let found = 0;
    for await (const member of walkFolder(path)) {
      found += 1;
      yield member;
    }
    // An empty import must never pass for a feed without advisories.
    if (found === 0) throw new FeedError('no feed files (.json, .yaml, .yml, .xml, .zip) in folder', { file: path });
  } else {
    yield* openFile(path);
  }
}

async function statOf(path: string): Promise<Stats> {
  try {
    return await stat(path);
  } catch (e) {
    throw new FeedError(`cannot open feed: ${messageOf(e)}`, { file: path }, { cause: e });
  }
}

async function* openFile(path: string): AsyncGenerator<FeedMember> {
  if (path.endsWith('.zip')) yield* zipMembers(path);
  else yield { file: path, stream: decoded(path, createReadStream(path)) };
}

async function* walkFolder(folder: string): AsyncGenerator<FeedMember> {
  let names: string[];
  try {
    names = await readdir(folder);
  } catch (e) {
    throw new FeedError(`cannot list feed folder: ${messageOf(e)}`, { file: folder }, { cause: e });
  }
  // Byte order, not locale order: the same folder imports in the same order on every machine.
  names.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  for (const name of names) {
    if (name.startsWith('.')) continue;
    const path = join(folder, name);
    if ((await statOf(path)).isDirectory()) yield* walkFolder(path);
    else if (isFeedName(name)) yield* openFile(path);
  }
}

async function* zipMembers(archive: string): AsyncGenerator<FeedMember> {
  let zip: ZipFile;
  try {
    zip = await openPromise(archive, { lazyEntries: true, autoClose: false });
  } catch (e) {
    throw new FeedError(`cannot read zip archive: ${messageOf(e)}`, { file: archive }, { cause: e });
  }
  try {
    const entries = zip.eachEntry();
    for (;;) {
      let next;
      try {
        next = await entries.next();
      } catch (e) {
        throw new FeedError(`cannot read zip archive: ${messageOf(e)}`, { file: archive }, { cause: e });
      }
      if (next.done) return;
      const entry = next.value;
      if (entry.fileName.endsWith('/')) continue;
      const member = `${archive}!${entry.fileName}`;
      let raw: Readable;
      try {
        raw = await zip.openReadStreamPromise(entry);
      } catch (e) {
        throw new FeedError(`cannot read zip member: ${messageOf(e)}`, { file: member }, { cause: e });
      }
      yield { file: member, stream: decoded(member, raw) };
    }
  } finally {
    zip.close();
  }
}

/** Decompresses by name and turns any read or decompression failure into a FeedError. */
function decoded(file: string, raw: Readable): Readable {
  const match = CODECS.find((c) => file.endsWith(c.suffix));
  const stream = match ? match.codec.open(raw) : raw;
  const what = match ? `${match.codec.name} data` : 'file';
  async function* relay(): AsyncGenerator<Buffer> {
    try {
      for await (const chunk of stream) yield Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array);
    } catch (e) {
      throw e instanceof FeedError ? e : new FeedError(`cannot read ${what}: ${messageOf(e)}`, { file }, { cause: e });
    } finally {
      if (!stream.destroyed) stream.destroy();
      if (!raw.destroyed) raw.destroy();
    }
  }
  return Readable.from(relay(), { objectMode: false });
}

/**
 * `raw | codec` as a modern Readable (unbzip2-stream is a classic stream), where a failure of
 * either ends the output with that error.
 */
function piped(raw: Readable, codec: NodeJS.ReadWriteStream): Readable {
  const out = new PassThrough();
  pipeline(raw, codec, out, () => {
    // Errors reach the reader through `out`, which pipeline destroys with them.
  });
  return out;
}
