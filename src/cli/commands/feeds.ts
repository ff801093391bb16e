import path from 'node:path';
import { messageOf } from '../../errors';
import { HttpClient } from '../../http/http-client';
import { AdvisoryStore, type FeedRow } from '../../store/advisories';
import { downloadFeed } from '../../vuln/download-feed';
import { importFeedFiles, type FeedImport } from '../../vuln/import-feed';
import type { CommandContext } from '../context';
import { renderTable } from '../table';

/** `feeds import PATH…`: loads files, folders or archives as one feed (format auto-detected). */
export async function feedsImportCommand(
  ctx: CommandContext,
  paths: string[],
  options: { format?: string; name?: string },
  out: NodeJS.WritableStream,
): Promise<number> {
  const name = options.name ?? feedNameFor(ctx, paths);
  const result = await importFeedFiles(new AdvisoryStore(ctx.db), { name, paths: paths.map((p) => path.resolve(p)), format: options.format });
  out.write(describeImport(result));
  return 0;
}

/**
 * `feeds update`: every feed of the config, downloaded when it has a URL (conditionally, so an
 * unchanged feed is not re-imported) or read from its path. One feed failing does not stop the
 * others; the command fails when any did, after trying them all.
 */
export async function feedsUpdateCommand(ctx: CommandContext, out: NodeJS.WritableStream, err: NodeJS.WritableStream): Promise<number> {
  const store = new AdvisoryStore(ctx.db);
  const http = new HttpClient();
  const cacheDir = path.join(path.dirname(path.resolve(ctx.config.database)), 'feeds-cache');
  let failed = 0;
  try {
    for (const feed of ctx.config.feeds) {
      try {
        if (feed.url) {
          const previous = store.feed(feed.name);
          const download = await downloadFeed(http, feed.url, path.join(cacheDir, feed.name), previous ?? {});
          if (!download.changed && previous) {
            out.write(`${feed.name}: unchanged since ${previous.importedAt} (${previous.advisories} advisories)\n`);
            continue;
          }
          out.write(describeImport(await importFeedFiles(store, { name: feed.name, paths: [download.file], format: feed.type, source: feed.url, etag: download.etag, lastModified: download.lastModified })));
        } else {
          out.write(describeImport(await importFeedFiles(store, { name: feed.name, paths: [path.resolve(feed.path!)], format: feed.type })));
        }
      } catch (e) {
        failed++;
        err.write(`${feed.name}: ${messageOf(e)} (its previous advisories are kept)\n`);
      }
    }
  } finally {
    http.close();
  }
  if (!ctx.config.feeds.length) out.write('No feeds configured (config key feeds).\n');
  return failed ? 2 : 0;
}

/** `feeds list`: what is imported, how much and how old. */
export function feedsListCommand(ctx: CommandContext, options: { json?: boolean }, out: NodeJS.WritableStream): number {
  const feeds = new AdvisoryStore(ctx.db).feeds();
  if (options.json) {
    out.write(`${JSON.stringify(feeds, null, 2)}\n`);
    return 0;
  }
  if (!feeds.length) {
    out.write('No feeds imported yet: images cannot be checked for vulnerabilities.\n');
    return 0;
  }
  out.write(`${renderTable(['FEED', 'FORMAT', 'ADVISORIES', 'NAMESPACES', 'IMPORTED', 'SOURCE'], feeds.map(feedCells))}\n`);
  return 0;
}

function feedCells(f: FeedRow): string[] {
  const ns = f.namespaces.length > 4 ? `${f.namespaces.slice(0, 4).join(' ')} +${f.namespaces.length - 4}` : f.namespaces.join(' ');
  return [f.name, f.format, String(f.advisories), ns, f.importedAt, f.source];
}

function describeImport(r: FeedImport): string {
  const skipped = r.skipped.reduce((n, [, c]) => n + c, 0);
  const lines = [`${r.name}: imported ${r.advisories} advisories (${r.format}) for ${r.namespaces.join(', ') || 'no distribution'}`];
  if (skipped) lines.push(`  left out ${skipped} entries: ${r.skipped.map(([why, n]) => `${n} ${why}`).join('; ')}`);
  return `${lines.join('\n')}\n`;
}

/** A configured feed whose path is the one imported keeps its configured name; else the file's name. */
function feedNameFor(ctx: CommandContext, paths: string[]): string {
  const resolved = paths.map((p) => path.resolve(p));
  const configured = ctx.config.feeds.find((f) => f.path && resolved.includes(path.resolve(f.path)));
  if (configured) return configured.name;
  const base = path.basename(resolved[0]).replace(/(\.(json|ya?ml|xml|zip|gz|bz2|xz))+$/i, '');
  return resolved.length === 1 ? base : `${base}+${resolved.length - 1}`;
}
