import { setImmediate } from 'node:timers/promises';
import { VerdictRecorder } from '../src/policy/verdict-recorder';
import { ImageStore } from '../src/store/images';
import { recordComplianceSnapshot } from '../src/store/snapshots';
import type { Job } from './job';

export interface MatchSummary {
  inventories: number;
  matched: number;
  notCovered: number;
  findings: number;
  added: number;
  removed: number;
  verdictsChanged: number;
  compliant: number;
  nonCompliant: number;
  unknown: number;
}

/**
 * Re-matches every stored inventory against the advisories imported now and re-evaluates its
 * verdict, without a single registry request: a CVE published today turns yesterday's images
 * non-compliant here, and the next sweep enforces it.
 */
export const matchJob: Job<MatchSummary> = {
  name: 'match',
  async run(ctx) {
    const recorder = new VerdictRecorder(ctx.db, ctx.config);
    const images = new ImageStore(ctx.db);
    const summary: MatchSummary = { inventories: 0, matched: 0, notCovered: 0, findings: 0, added: 0, removed: 0, verdictsChanged: 0, compliant: 0, nonCompliant: 0, unknown: 0 };
    const digests = images.indexedDigests();
    // A few hundred digests per transaction: one commit per image would cost more than the matching.
    const assessBatch = ctx.db.transaction((batch: string[]) => {
      const inventories = images.assessmentInputs(batch);
      for (const digest of batch) {
        const r = recorder.assess(digest, inventories.get(digest));
        summary.inventories++;
        if (r.match.covered) summary.matched++;
        else summary.notCovered++;
        summary.findings += r.match.findings;
        summary.added += r.match.added;
        summary.removed += r.match.removed;
        if (r.change) summary.verdictsChanged++;
      }
    });
    for (let i = 0; i < digests.length; i += 500) {
      // A turn of the event loop between batches: the daemon answers /healthz and hears SIGTERM meanwhile.
      await setImmediate();
      if (ctx.signal?.aborted) break;
      assessBatch(digests.slice(i, i + 500));
    }
    const snapshot = recordComplianceSnapshot(ctx.db, new Date(), ctx.config.timezone);
    summary.compliant = snapshot.compliant;
    summary.nonCompliant = snapshot.nonCompliant;
    summary.unknown = snapshot.unknown;
    ctx.log(
      `match: ${summary.matched} of ${summary.inventories} inventories matched (${summary.notCovered} with no feed for their OS), ` +
        `${summary.findings} findings, ${summary.added} new, ${summary.removed} gone; ${summary.verdictsChanged} verdicts changed ` +
        `(${summary.compliant} compliant, ${summary.nonCompliant} non-compliant, ${summary.unknown} unknown)`,
    );
    return summary;
  },
};
