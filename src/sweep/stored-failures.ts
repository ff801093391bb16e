import type { ErrorKind } from '../errors';
import type { Db } from '../store/database';

export interface StoredFailure {
  kind: ErrorKind;
  message: string;
}

/**
 * Failures that say something about the image's bytes (a corrupt layer, a package database
 * that cannot be parsed): a digest is immutable, so scanning it again gives the same failure.
 * Transport and registry failures (unreachable, timeout, 5xx, truncated or mismatching blobs)
 * may pass next time and are retried by every sweep.
 */
const FAILS_AGAIN: ReadonlySet<string> = new Set<ErrorKind>(['layer', 'analyzer']);

/**
 * The last stored failure of each digest that would fail again under `scanner` (the current
 * analyzers and limits, see `scannerSettings`), read in one query for a whole sweep. After an
 * analyzer upgrade or a raised size limit those digests are scanned again.
 */
export function failuresThatRepeat(db: Db, scanner: string): Map<string, StoredFailure> {
  const rows = db
    .prepare<[], { digest: string; kind: ErrorKind; message: string; scanner: string | null }>(
      'SELECT digest, kind, message, scanner FROM scan_errors WHERE digest IS NOT NULL ORDER BY id',
    )
    .all();
  const last = new Map<string, StoredFailure & { scanner: string | null }>();
  for (const r of rows) last.set(r.digest, { kind: r.kind, message: r.message, scanner: r.scanner });
  const repeating = new Map<string, StoredFailure>();
  for (const [digest, f] of last) if (FAILS_AGAIN.has(f.kind) && f.scanner === scanner) repeating.set(digest, { kind: f.kind, message: f.message });
  return repeating;
}
