import { createHash, type Hash } from 'node:crypto';

/** OCI image-spec digest grammar; the registered algorithms also fix the length of the hex part. */
const DIGEST = /^([a-z0-9]+(?:[.+_-][a-z0-9]+)*):([a-zA-Z0-9=_-]+)$/;
const REGISTERED: Record<string, { hash: string; encoded: RegExp }> = {
  sha256: { hash: 'sha256', encoded: /^[a-f0-9]{64}$/ },
  sha512: { hash: 'sha512', encoded: /^[a-f0-9]{128}$/ },
};

export interface ParsedDigest {
  algorithm: string;
  encoded: string;
}

/** Why `text` is not a usable digest, or undefined when it is one. */
export function digestProblem(text: string): string | undefined {
  const m = DIGEST.exec(text);
  if (!m) return 'must be algorithm:hex, e.g. sha256:<64 hex digits>';
  const registered = REGISTERED[m[1] ?? ''];
  if (!registered) return `uses the unsupported algorithm "${m[1]}" (sha256 or sha512 expected)`;
  if (!registered.encoded.test(m[2] ?? '')) {
    return `${m[1]} needs ${m[1] === 'sha256' ? 64 : 128} lower-case hex digits`;
  }
  return undefined;
}

export function parseDigest(text: string): ParsedDigest | undefined {
  if (digestProblem(text) !== undefined) return undefined;
  const [algorithm = '', encoded = ''] = text.split(':');
  return { algorithm, encoded };
}

/** A running hash for a digest algorithm that digestProblem accepted. */
export function hasherFor(algorithm: string): Hash {
  const registered = REGISTERED[algorithm];
  if (!registered) throw new RangeError(`unsupported digest algorithm ${algorithm}`);
  return createHash(registered.hash);
}

export function digestOf(data: Buffer, algorithm = 'sha256'): string {
  return `${algorithm}:${hasherFor(algorithm).update(data).digest('hex')}`;
}
