import { fork } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { once } from 'node:events';
import path from 'node:path';
import type { FeedParseReport } from './feed-parse-child';
import { timedCli, type TimedRun } from './timed-cli';
import { generateDebianTrackerFeed, generateOsvFeed, type GeneratedFeed } from './generate-osv-feed';

/**
 * Streaming feed import at 100 MB: an OSV JSON array and a Debian tracker object are each
 * parsed in a process of their own; the figure is the import's time and peak RSS next to the
 * floor, a process that only reads the same file.
 */
export interface FeedBenchRow {
  format: string;
  feed: GeneratedFeed;
  floor: FeedParseReport;
  parse: FeedParseReport;
  /** The real `imagewarden feeds import` into a new database: parse and store. */
  importRun: TimedRun;
}

function runChild(format: string, file: string): Promise<FeedParseReport> {
  const child = fork(path.join(__dirname, 'feed-parse-child.js'), [format, file], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  let report: FeedParseReport | undefined;
  child.on('message', (m) => {
    report = m as FeedParseReport;
  });
  return once(child, 'exit').then(([code]) => {
    if (code !== 0 || !report) throw new Error(`feed parse of ${file} as ${format} failed (exit ${String(code)})`);
    return report;
  });
}

export async function feedBench(workDir: string, targetBytes = 100 * 1024 * 1024): Promise<FeedBenchRow[]> {
  mkdirSync(workDir, { recursive: true });
  const rows: FeedBenchRow[] = [];
  const inputs: Array<{ format: string; make: () => Promise<GeneratedFeed> }> = [
    { format: 'osv', make: () => generateOsvFeed(path.join(workDir, 'osv-array.json'), targetBytes) },
    { format: 'debian-tracker', make: () => generateDebianTrackerFeed(path.join(workDir, 'debian-tracker.json'), targetBytes) },
  ];
  for (const input of inputs) {
    const feed = await input.make();
    try {
      const floor = await runChild('read', feed.file);
      const parse = await runChild(input.format, feed.file);
      if (parse.advisories !== feed.advisories) {
        throw new Error(`${input.format}: ${parse.advisories} advisories imported, ${feed.advisories} generated`);
      }
      const db = path.join(workDir, `${input.format}.db`);
      rmSync(db, { force: true });
      const importRun = await timedCli(['--db', db, 'feeds', 'import', '--name', `bench-${input.format}`, feed.file]);
      rmSync(db, { force: true });
      rows.push({ format: input.format, feed, floor, parse, importRun });
    } finally {
      rmSync(feed.file, { force: true });
    }
  }
  return rows;
}

export function printFeedBench(rows: FeedBenchRow[]): void {
  const mb = (n: number): string => (n / 1024 / 1024).toFixed(1);
  for (const { format, feed, floor, parse, importRun } of rows) {
    process.stdout.write(
      [
        `feeds ${format}: ${mb(feed.bytes)} MiB, ${feed.entries} entries → ${parse.advisories} advisories`,
        `  floor (read the file only):           ${floor.seconds.toFixed(2)} s, peak RSS ${mb(floor.maxRssBytes)} MiB`,
        `  parse only:                           ${parse.seconds.toFixed(2)} s (${mb(feed.bytes / parse.seconds)} MiB/s), peak RSS ${mb(parse.maxRssBytes)} MiB`,
        `  imagewarden feeds import (parse+store): ${importRun.seconds.toFixed(2)} s, peak RSS ${importRun.peakRssMiB.toFixed(0)} MiB (target < 300)`,
      ].join('\n') + '\n',
    );
  }
}
