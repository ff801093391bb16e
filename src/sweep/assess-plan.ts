import type { AssessedInventory } from '../inventory/types';
import type { Db } from '../store/database';
import type { ImageStore } from '../store/images';
import type { StoredVerdict } from '../store/verdicts';
import type { VerdictRecorder } from '../policy/verdict-recorder';
import type { DiscoveredImage } from '../sources/source';
import type { PlannedDigest } from './digest-plan';

export interface AssessmentCounts {
  compliant: number;
  nonCompliant: number;
  unknown: number;
}

/** Digests per transaction: one commit per digest would cost more than assessing it. */
const BATCH = 200;

/**
 * Records where every digest of the plan was seen, in batches: before anything is assessed, so
 * the tags a complete sweep no longer found can be forgotten first and no verdict is reached on
 * a stale tag. A failed digest's tags are all marked failed (the scanned one may have no row
 * yet when the failure came before the manifest was resolved), and the tags beyond the first
 * get a scan error of their own, so no tag of a failed image reads as scanned.
 */
export function recordSightings(db: Db, entries: Iterable<PlannedDigest>, deps: { images: ImageStore; now: Date; scanner: string }): void {
  inBatches(db, entries, (batch) => {
    for (const entry of batch) {
      if (entry.status === 'indexed' || entry.status === 'scanned') {
        for (const s of entry.sightings) deps.images.recordSighting(location(s), deps.now);
      } else if (entry.status === 'failed' || entry.status === 'known-failure') {
        const message = entry.failure ?? 'the scan failed';
        for (const s of entry.sightings) deps.images.recordFailedSighting(location(s), message, deps.now);
        if (entry.status === 'failed') {
          for (const s of entry.sightings.slice(1)) {
            deps.images.saveFailure({ ...location(s), kind: entry.failureKind ?? 'job', message, scanner: deps.scanner }, deps.now);
          }
        }
      }
    }
  });
}

/**
 * Stores the verdict of every digest of the plan: matched and evaluated when it is indexed,
 * `unknown` (never compliant) when its scan failed. Digests a stopped sweep did not get to are
 * left as they were.
 */
export function assessPlan(
  db: Db,
  entries: Iterable<PlannedDigest>,
  deps: { images: ImageStore; recorder: VerdictRecorder },
): { counts: AssessmentCounts; verdicts: Map<string, StoredVerdict> } {
  const counts: AssessmentCounts = { compliant: 0, nonCompliant: 0, unknown: 0 };
  const verdicts = new Map<string, StoredVerdict>();
  const assessOne = (entry: PlannedDigest, inventories: Map<string, AssessedInventory>): void => {
    let verdict: StoredVerdict;
    if (entry.status === 'indexed' || entry.status === 'scanned') {
      const inventory = inventories.get(entry.digest);
      // A digest the scan stored under another name (a source that reports an index digest whose
      // platform manifest was scanned) cannot be assessed: unknown, never compliant, and said why.
      verdict = inventory
        ? deps.recorder.assess(entry.digest, inventory).verdict
        : deps.recorder.unknown(entry.digest, `no inventory was stored under ${entry.digest}: the scan indexed another manifest`).verdict;
    } else if (entry.status === 'failed' || entry.status === 'known-failure') {
      verdict = deps.recorder.unknown(entry.digest, entry.failure ?? 'the scan failed').verdict;
    } else {
      return;
    }
    verdicts.set(entry.digest, verdict);
    if (verdict.state === 'compliant') counts.compliant++;
    else if (verdict.state === 'non-compliant') counts.nonCompliant++;
    else counts.unknown++;
  };
  inBatches(db, entries, (batch) => {
    const inventories = deps.images.assessmentInputs(batch.filter((e) => e.status === 'indexed' || e.status === 'scanned').map((e) => e.digest));
    for (const entry of batch) assessOne(entry, inventories);
  });
  return { counts, verdicts };
}

function inBatches(db: Db, entries: Iterable<PlannedDigest>, work: (batch: PlannedDigest[]) => void): void {
  const run = db.transaction(work);
  let batch: PlannedDigest[] = [];
  for (const entry of entries) {
    batch.push(entry);
    if (batch.length >= BATCH) {
      run(batch);
      batch = [];
    }
  }
  if (batch.length) run(batch);
}

function location(s: DiscoveredImage) {
  const { registry, repository, tag } = s.reference;
  return { registry, repository, tag, digest: s.digest, source: s.source, ...(s.namespace !== undefined && { namespace: s.namespace }) };
}
