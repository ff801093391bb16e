/**
 * `npm run bench [-- NAME…]`: each benchmark prints its figure next to the physical floor it is
 * compared with, both measured in the same run on this machine. Names: scan, feeds, match, sweep.
 */
import path from 'node:path';
import { feedBench, printFeedBench } from './feed-bench';
import { matchBench, printMatchBench } from './match-bench';
import { printScanBench, scanBench } from './scan-bench';
import { printSweepBench, sweepBench } from './sweep';

const benchDir = () => path.resolve(process.env.IMAGEWARDEN_BENCH_DIR ?? '.bench');

const BENCHES: Record<string, () => Promise<void>> = {
  scan: async () => printScanBench(await scanBench(benchDir())),
  feeds: async () => printFeedBench(await feedBench(path.join(benchDir(), 'feeds'))),
  match: async () => printMatchBench(await matchBench()),
  sweep: async () => printSweepBench(await sweepBench(path.join(benchDir(), 'sweep'))),
};

async function run(names: string[]): Promise<void> {
  const unknown = names.filter((n) => !BENCHES[n]);
  if (unknown.length) throw new Error(`unknown benchmark ${unknown.join(', ')}; known: ${Object.keys(BENCHES).join(', ')}`);
  for (const name of names.length ? names : Object.keys(BENCHES)) await BENCHES[name]();
}

run(process.argv.slice(2)).catch((e: unknown) => {
  process.stderr.write(`bench failed: ${(e as Error).stack ?? String(e)}\n`);
  process.exitCode = 1;
});
