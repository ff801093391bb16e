import { AdvisoryStore } from '../src/store/advisories';
import { FindingStore } from '../src/store/findings';
import { ImageStore } from '../src/store/images';
import { AdvisoryIndex, matchInventory } from '../src/vuln/matcher';
import type { Job } from './job';

export interface MatchSummary {
  inventories: number;
  matched: number;
  notCovered: number;
  findings: number;
  added: number;
  removed: number;
}

/**
 * Re-matches every stored inventory against the advisories imported now, without a single
 * registry request: a CVE published today turns yesterday's images vulnerable here.
 */
export const matchJob: Job<MatchSummary> = {
  name: 'match',
  async run(ctx) {
    const images = new ImageStore(ctx.db);
    const advisories = new AdvisoryStore(ctx.db);
    const findings = new FindingStore(ctx.db);
    const index = new AdvisoryIndex(advisories.advisories(), advisories.feeds().flatMap((f) => f.namespaces));
    const summary: MatchSummary = { inventories: 0, matched: 0, notCovered: 0, findings: 0, added: 0, removed: 0 };
    let batch: { digest: string; result: ReturnType<typeof matchInventory> }[] = [];
    // Findings are written a few hundred inventories per transaction: one commit per image
    // would cost more than the matching.
    const flush = ctx.db.transaction(() => {
      const at = new Date();
      for (const { digest, result } of batch) {
        const changes = findings.replace(digest, result.findings, at);
        summary.added += changes.added;
        summary.removed += changes.removed;
      }
      batch = [];
    });
    for (const { digest, inventory } of images.matchInputs()) {
      summary.inventories++;
      const result = matchInventory(inventory, index);
      if (!result.covered) {
        summary.notCovered++;
        continue;
      }
      summary.matched++;
      summary.findings += result.findings.length;
      batch.push({ digest, result });
      if (batch.length >= 500) flush();
    }
    flush();
    ctx.log(
      `match: ${summary.matched} of ${summary.inventories} inventories matched (${summary.notCovered} with no feed for their OS), ` +
        `${summary.findings} findings, ${summary.added} new, ${summary.removed} gone`,
    );
    return summary;
  },
};
