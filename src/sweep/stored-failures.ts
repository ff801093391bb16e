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
  // The last error of each digest, chosen in SQL: the table keeps every failure ever recorded.
  const rows = db
    .prepare<[string], { digest: string; kind: ErrorKind; message: string }>(
      `SELECT e.digest, e.kind, e.message FROM scan_errors e
         JOIN (SELECT digest, max(id) AS id FROM scan_errors WHERE digest IS NOT NULL GROUP BY digest) last ON last.id = e.id
        WHERE e.scanner = ?`,
    )
    .all(scanner);
  const repeating = new Map<string, StoredFailure>();
  for (const r of rows) if (FAILS_AGAIN.has(r.kind)) repeating.set(r.digest, { kind: r.kind, message: r.message });
  return repeating;
}
