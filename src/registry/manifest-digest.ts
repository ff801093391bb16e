import { RegistryError, type ErrorContext } from '../errors';
import { digestOf, parseDigest } from './digest';

function check(body: Buffer, claimed: string, source: string, context: ErrorContext): void {
  const parsed = parseDigest(claimed);
  if (!parsed) throw new RegistryError('manifest', `${source} "${claimed}" is not a valid digest`, context);
  const actual = digestOf(body, parsed.algorithm);
  if (actual !== claimed) {
    throw new RegistryError('digest-mismatch', `manifest digest mismatch: ${source} is ${claimed} but the body hashes to ${actual}`, context);
  }
}

/**
 * Checks the body against `Docker-Content-Digest` and against the digest asked for, and returns
 * the manifest's digest (sha256 unless a digest in another algorithm was asked for), the
 * identity images are deduplicated by.
 */
export function verifiedManifestDigest(
  body: Buffer,
  headerDigest: string | undefined,
  requested: string,
  context: ErrorContext,
): string {
  if (headerDigest) check(body, headerDigest, 'Docker-Content-Digest', context);
  // Tags cannot contain ':', so a reference with one is a digest.
  if (requested.includes(':')) {
    check(body, requested, 'the requested digest', context);
    return requested;
  }
  return digestOf(body);
}
