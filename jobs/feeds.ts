import { updateFeeds } from '../src/vuln/update-feeds';
import type { Job } from './job';

export interface FeedsSummary {
  feeds: number;
  imported: number;
  unchanged: number;
  failed: number;
}

/** Brings every configured feed up to date; a feed that fails keeps what it had. */
export const feedsJob: Job<FeedsSummary> = {
  name: 'feeds',
  async run(ctx) {
    const updates = await updateFeeds(ctx.config, ctx.db);
    for (const u of updates) {
      if (u.outcome === 'failed') ctx.log(`feeds: ${u.name} failed: ${u.error} (its previous advisories are kept)`);
    }
    const summary = {
      feeds: updates.length,
      imported: updates.filter((u) => u.outcome === 'imported').length,
      unchanged: updates.filter((u) => u.outcome === 'unchanged').length,
      failed: updates.filter((u) => u.outcome === 'failed').length,
    };
    ctx.log(`feeds: ${summary.imported} imported, ${summary.unchanged} unchanged, ${summary.failed} failed of ${summary.feeds} configured`);
    return summary;
  },
};
