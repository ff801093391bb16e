import { gzipSync } from 'node:zlib';
import { pack } from 'tar-stream';
import { sha256Digest } from './digest';
import { type LayerEntry, tarRecord } from './layer-entries';
import { runCli } from './run-cli';

export type Compression = 'gzip' | 'zstd' | 'none';

/** A layer blob ready to push, with the digests a manifest and a config refer to it by. */
export interface Layer {
  blob: Buffer;
  compression: Compression;
  /** Digest of the blob as stored in the registry. */
  digest: string;
  /** Digest of the uncompressed tar, the config's `rootfs.diff_ids` entry. */
  diffId: string;
}

/** Writes the entries, in order, into an uncompressed tar held in memory. */
export async function buildTar(entries: readonly LayerEntry[]): Promise<Buffer> {
  const archive = pack();
  const chunks: Buffer[] = [];
  const collected = (async () => {
    for await (const chunk of archive) chunks.push(chunk as Buffer);
  })();
  for (const entry of entries) {
    const { header, body } = tarRecord(entry);
    await new Promise<void>((resolve, reject) => {
      const done = (err?: Error | null) => (err ? reject(err) : resolve());
      if (body) archive.entry(header, body, done);
      else archive.entry(header, done);
    });
  }
  archive.finalize();
  await collected;
  return Buffer.concat(chunks);
}

export function compress(tar: Buffer, compression: Compression): Buffer {
  switch (compression) {
    case 'gzip':
      return gzipSync(tar);
    case 'zstd':
      return runCli('zstd', ['-q', '-c', '-3'], tar);
    case 'none':
      return tar;
  }
}

export async function buildLayer(entries: readonly LayerEntry[], compression: Compression): Promise<Layer> {
  const tar = await buildTar(entries);
  const blob = compress(tar, compression);
  return { blob, compression, digest: sha256Digest(blob), diffId: sha256Digest(tar) };
}
