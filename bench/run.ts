/**
 * `npm run bench`: each benchmark prints its figure next to the physical floor it is compared
 * with, both measured in the same run on this machine.
 */
import path from 'node:path';
import { printScanBench, scanBench } from './scan-bench';

async function run(): Promise<void> {
  const workDir = path.resolve(process.env.IMAGEWARDEN_BENCH_DIR ?? '.bench');
  printScanBench(await scanBench(workDir));
}

run().catch((e: unknown) => {
  process.stderr.write(`bench failed: ${(e as Error).stack ?? String(e)}\n`);
  process.exitCode = 1;
});
