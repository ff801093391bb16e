import path from 'node:path';
import type { Config } from '../config/schema';
import { messageOf } from '../errors';
import { HttpClient } from '../http/http-client';
import { AdvisoryStore, type FeedRow } from '../store/advisories';
import type { Db } from '../store/database';
import { downloadFeed } from './download-feed';
import { importFeedFiles, type FeedImport } from './import-feed';

export type FeedUpdate =
  | { name: string; outcome: 'imported'; result: FeedImport }
  | { name: string; outcome: 'unchanged'; previous: FeedRow }
  | { name: string; outcome: 'failed'; error: string };

/**
 * Every configured feed: downloaded when it has a URL (conditionally, so an unchanged feed is
 * not imported again) or read from its path. One feed failing does not stop the others, and
 * keeps its previous advisories.
 */
export async function updateFeeds(config: Config, db: Db): Promise<FeedUpdate[]> {
  const store = new AdvisoryStore(db);
  const http = new HttpClient();
  const cacheDir = path.join(path.dirname(path.resolve(config.database)), 'feeds-cache');
  const updates: FeedUpdate[] = [];
  try {
    for (const feed of config.feeds) {
      try {
        if (feed.url) {
          const previous = store.feed(feed.name);
          const download = await downloadFeed(http, feed.url, path.join(cacheDir, feed.name), previous ?? {});
          if (!download.changed && previous) {
            updates.push({ name: feed.name, outcome: 'unchanged', previous });
            continue;
          }
          const result = await importFeedFiles(store, {
            name: feed.name,
            paths: [download.file],
            format: feed.type,
            source: feed.url,
            etag: download.etag,
            lastModified: download.lastModified,
          });
          updates.push({ name: feed.name, outcome: 'imported', result });
        } else {
          const result = await importFeedFiles(store, { name: feed.name, paths: [path.resolve(feed.path!)], format: feed.type });
          updates.push({ name: feed.name, outcome: 'imported', result });
        }
      } catch (e) {
        updates.push({ name: feed.name, outcome: 'failed', error: messageOf(e) });
      }
    }
  } finally {
    http.close();
  }
  return updates;
}
