import { createHash } from 'node:crypto';

/**
 * Bytes that look random but are the same on every run (SHA-256 in counter mode over a seed),
 * so hostile fixtures keep stable digests.
 */
export function deterministicJunk(seed: string, length: number): Buffer {
  const blocks: Buffer[] = [];
  for (let counter = 0, total = 0; total < length; counter++) {
    const block = createHash('sha256').update(`${seed}:${counter}`).digest();
    blocks.push(block);
    total += block.length;
  }
  return Buffer.concat(blocks).subarray(0, length);
}

/**
 * A blob that starts like a gzip stream (magic, deflate method, no flags) and continues with
 * junk, so a reader commits to gunzip and fails mid-stream rather than at the first byte.
 */
export function corruptGzip(seed: string, length: number): Buffer {
  const header = Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03]);
  return Buffer.concat([header, deterministicJunk(seed, Math.max(0, length - header.length))]);
}
