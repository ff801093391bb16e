import { createHash } from 'node:crypto';

/** Content address in the form registries use: `sha256:<hex>`. */
export function sha256Digest(data: Buffer): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}
