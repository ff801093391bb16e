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
  /** Verdicts that changed state or failed policies in this sweep. */
  changed: number;
}

/** Digests per transaction: one commit per digest would cost more than assessing it. */
const BATCH = 200;

/**
 * Records where every digest was seen and stores its verdict: matched and evaluated when it is
 * indexed, `unknown` (never compliant) when its scan failed. Digests a stopped sweep did not
 * get to are left as they were.
 */
export function assessPlan(
  db: Db,
  entries: Iterable<PlannedDigest>,
  deps: { images: ImageStore; recorder: VerdictRecorder; now: Date; scanner: string },
): { counts: AssessmentCounts; verdicts: Map<string, StoredVerdict> } {
  const counts: AssessmentCounts = { compliant: 0, nonCompliant: 0, unknown: 0, changed: 0 };
  const verdicts = new Map<string, StoredVerdict>();
  const assessOne = (entry: PlannedDigest, inventories: Map<string, AssessedInventory>): void => {
    let recorded: { verdict: StoredVerdict; change?: unknown };
    if (entry.status === 'indexed' || entry.status === 'scanned') {
      for (const s of entry.sightings) deps.images.recordSighting(location(s), deps.now);
      const inventory = inventories.get(entry.digest);
      // A digest the scan stored under another name (a source that reports an index digest whose
      // platform manifest was scanned) cannot be assessed: unknown, never compliant, and said why.
      recorded = inventory
        ? deps.recorder.assess(entry.digest, inventory)
        : deps.recorder.unknown(entry.digest, `no inventory was stored under ${entry.digest}: the scan indexed another manifest`);
    } else if (entry.status === 'failed' || entry.status === 'known-failure') {
      recordFailedSightings(entry, deps);
      if (entry.status === 'known-failure') {
        for (const s of entry.sightings) deps.images.recordFailedSighting(location(s), entry.failure ?? 'the scan failed', deps.now);
      }
      recorded = deps.recorder.unknown(entry.digest, entry.failure ?? 'the scan failed');
    } else {
      return;
    }
    verdicts.set(entry.digest, recorded.verdict);
    if (recorded.change) counts.changed++;
    if (recorded.verdict.state === 'compliant') counts.compliant++;
    else if (recorded.verdict.state === 'non-compliant') counts.nonCompliant++;
    else counts.unknown++;
  };
  let batch: PlannedDigest[] = [];
  const flush = db.transaction(() => {
    const inventories = deps.images.assessmentInputs(batch.filter((e) => e.status === 'indexed' || e.status === 'scanned').map((e) => e.digest));
    for (const entry of batch) assessOne(entry, inventories);
    batch = [];
  });
  for (const entry of entries) {
    batch.push(entry);
    if (batch.length >= BATCH) flush();
  }
  flush();
  return { counts, verdicts };
}

function location(s: DiscoveredImage) {
  const { registry, repository, tag } = s.reference;
  return { registry, repository, tag, digest: s.digest, source: s.source, ...(s.namespace !== undefined && { namespace: s.namespace }) };
}

/**
 * The tag the worker scanned already has its failed row; every other tag of the digest gets
 * one too, so no tag of a failed image reads as scanned. A failure known from an earlier sweep
 * (not scanned again) writes nothing new.
 */
function recordFailedSightings(entry: PlannedDigest, deps: { images: ImageStore; now: Date; scanner: string }): void {
  if (entry.status !== 'failed') return;
  const [, ...others] = entry.sightings;
  for (const s of others) {
    deps.images.saveFailure({ ...location(s), kind: entry.failureKind ?? 'layer', message: entry.failure ?? 'the scan failed', scanner: deps.scanner }, deps.now);
  }
}
