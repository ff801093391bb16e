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
    for (const digest of images.inventoryDigests()) {
      const inventory = images.getInventory(digest);
      if (!inventory) continue;
      summary.inventories++;
      const result = matchInventory(inventory, index);
      if (!result.covered) {
        summary.notCovered++;
        continue;
      }
      const changes = findings.replace(digest, result.findings);
      summary.matched++;
      summary.findings += result.findings.length;
      summary.added += changes.added;
      summary.removed += changes.removed;
    }
    ctx.log(
      `match: ${summary.matched} of ${summary.inventories} inventories matched (${summary.notCovered} with no feed for their OS), ` +
        `${summary.findings} findings, ${summary.added} new, ${summary.removed} gone`,
    );
    return summary;
  },
};
