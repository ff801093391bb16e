import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import zlib from 'node:zlib';
import tar from 'tar-stream';

export interface GeneratedLayer {
  file: string;
  /** sha256 of the gzip blob, as the registry addresses it. */
  digest: string;
  /** sha256 of the uncompressed tar, the image config's diff_id. */
  diffId: string;
  size: number;
  uncompressedSize: number;
}

const WORDS =
  'lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor incididunt ut labore et dolore magna aliqua libc openssl zlib curl systemd kernel module package version release'.split(
    ' ',
  );

/** A deterministic stream of text-like bytes that gzip compresses about as well as real files. */
function fillerPool(seed: number, bytes: number): Buffer {
  const out = Buffer.allocUnsafe(bytes);
  let x = seed >>> 0 || 1;
  let i = 0;
  while (i < bytes) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    const r = x >>> 0;
    if (r % 4 === 0) {
      // Random base64-ish run: the incompressible part real binaries have.
      for (let k = 0; k < 24 && i < bytes; k++, i++) out[i] = 48 + ((r >>> (k % 24)) + k * 7) % 75;
    } else {
      const w = WORDS[r % WORDS.length];
      i += out.write(w, i, 'latin1');
      if (i < bytes) out[i++] = r % 9 === 0 ? 10 : 32;
    }
  }
  return out;
}

/**
 * Writes a gzip layer of about `totalBytes` uncompressed: many filler files (as a real
 * application layer has) plus the given package database and release files, hashing the
 * compressed and uncompressed streams as they are written.
 */
export async function generateLayer(file: string, totalBytes: number, extraFiles: Record<string, Buffer>): Promise<GeneratedLayer> {
  const pool = fillerPool(20241202, 8 * 1024 * 1024);
  const fileSize = 4 * 1024 * 1024;
  const pack = tar.pack();
  const tarHash = createHash('sha256');
  const blobHash = createHash('sha256');
  let uncompressedSize = 0;
  let size = 0;

  const producing = (async () => {
    const entry = (name: string, data: Buffer) =>
      new Promise<void>((resolve, reject) => pack.entry({ name, mtime: new Date('2024-12-02T00:00:00Z') }, data, (e) => (e ? reject(e) : resolve())));
    for (const [name, data] of Object.entries(extraFiles)) await entry(name, data);
    let written = 0;
    for (let n = 0; written < totalBytes; n++) {
      const start = (n * 7919 * 4096) % (pool.length - fileSize);
      await entry(`opt/app/data/part-${String(n).padStart(5, '0')}.txt`, pool.subarray(start, start + fileSize));
      written += fileSize;
    }
    pack.finalize();
  })();

  const hashing = (hash: ReturnType<typeof createHash>, count: (n: number) => void) =>
    new Transform({
      transform(chunk: Buffer, _e, cb) {
        hash.update(chunk);
        count(chunk.length);
        cb(null, chunk);
      },
    });
  await Promise.all([
    producing,
    pipeline(
      pack as unknown as NodeJS.ReadableStream,
      hashing(tarHash, (n) => (uncompressedSize += n)),
      zlib.createGzip({ level: 6 }),
      hashing(blobHash, (n) => (size += n)),
      fs.createWriteStream(file),
    ),
  ]);
  return { file, digest: `sha256:${blobHash.digest('hex')}`, diffId: `sha256:${tarHash.digest('hex')}`, size, uncompressedSize };
}
