import type { AdvisoryStore, FeedRow } from '../store/advisories';
import type { Advisory } from './advisory';
import { detectFeed } from './feeds/detect';
import { feedFormats } from './feeds';
import { SkipTally } from './feeds/namespaces';
import { openFeedFile } from './feeds/open-feed-file';

export interface FeedImport extends FeedRow {
  /** Entries the parsers left out, by reason (language ecosystems, suites without a number…). */
  skipped: Array<[reason: string, count: number]>;
}

/**
 * Imports one feed from files, folders or archives, each member's format detected (or forced),
 * as one atomic replacement of the feed's advisories: a member that fails leaves the feed as it
 * was before the import.
 */
export async function importFeedFiles(
  store: AdvisoryStore,
  feed: { name: string; paths: readonly string[]; format?: string; source?: string; etag?: string; lastModified?: string },
): Promise<FeedImport> {
  const formats = new Set<string>();
  const skipped = new SkipTally();
  async function* advisories(): AsyncIterable<Advisory> {
    for (const path of feed.paths) {
      for await (const member of openFeedFile(path)) {
        const { format, stream } = await detectFeed(member, feedFormats, feed.format);
        formats.add(format.name);
        yield* format.parse(stream, { file: member.file, feed: feed.name, skipped });
      }
    }
  }
  const source = {
    name: feed.name,
    source: feed.source ?? feed.paths.join(' '),
    etag: feed.etag,
    lastModified: feed.lastModified,
    // Known only once every member was read; the store reads it when it commits.
    get format() {
      return [...formats].sort().join('+') || 'none';
    },
  };
  const row = await store.importFeed(source, advisories());
  return { ...row, skipped: skipped.entries() };
}
