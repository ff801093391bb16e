import { createReadStream } from 'node:fs';
import { feedFormats } from '../src/vuln/feeds/index';

/**
 * Runs in a process of its own so that its peak RSS belongs to one import alone:
 * `node feed-parse-child.js FORMAT FILE` parses FILE with FORMAT (or only reads it, for
 * FORMAT `read`, the floor) and reports counts, time and peak RSS to the parent.
 */
export interface FeedParseReport {
  advisories: number;
  seconds: number;
  maxRssBytes: number;
}

async function main(formatName: string, file: string): Promise<FeedParseReport> {
  const started = process.hrtime.bigint();
  let advisories = 0;
  if (formatName === 'read') {
    for await (const chunk of createReadStream(file)) void chunk;
  } else {
    const format = feedFormats.find((f) => f.name === formatName);
    if (!format) throw new Error(`unknown format ${formatName}`);
    for await (const advisory of format.parse(createReadStream(file), { file, feed: 'bench' })) {
      void advisory;
      advisories += 1;
    }
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return { advisories, seconds, maxRssBytes: process.resourceUsage().maxRSS * 1024 };
}

const [formatName, file] = process.argv.slice(2);
if (formatName && file && process.send) {
  main(formatName, file).then(
    (report) => process.send?.(report),
    (e: unknown) => {
      process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
      process.exitCode = 1;
    },
  );
}
