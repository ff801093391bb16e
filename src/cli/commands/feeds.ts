import path from 'node:path';
import { AdvisoryStore, type FeedRow } from '../../store/advisories';
import { importFeedFiles, type FeedImport } from '../../vuln/import-feed';
import { updateFeeds } from '../../vuln/update-feeds';
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

/** `feeds update`: every configured feed; fails (2) when any feed did, after trying them all. */
export async function feedsUpdateCommand(ctx: CommandContext, out: NodeJS.WritableStream, err: NodeJS.WritableStream): Promise<number> {
  if (!ctx.config.feeds.length) {
    out.write('No feeds configured (config key feeds).\n');
    return 0;
  }
  let failed = 0;
  for (const u of await updateFeeds(ctx.config, ctx.db)) {
    if (u.outcome === 'imported') out.write(describeImport(u.result));
    else if (u.outcome === 'unchanged') out.write(`${u.name}: unchanged since ${u.previous.importedAt} (${u.previous.advisories} advisories)\n`);
    else {
      failed++;
      err.write(`${u.name}: ${u.error} (its previous advisories are kept)\n`);
    }
  }
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
