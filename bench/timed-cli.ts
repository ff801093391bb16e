import { spawn } from 'node:child_process';
import path from 'node:path';

const CLI = path.join(__dirname, '..', 'src', 'cli', 'main.js');

export interface TimedRun {
  seconds: number;
  peakRssMiB: number;
  stdout: string;
}

/** Runs the real CLI in a child process and reads the child's own peak RSS from inside it. */
export async function timedCli(args: string[]): Promise<TimedRun> {
  const script = `require(${JSON.stringify(CLI)}).main(process.argv.slice(1)).then((c) => { process.stderr.write('\\nIW_MAXRSS_KB=' + process.resourceUsage().maxRSS + '\\n'); process.exitCode = c; })`;
  const started = process.hrtime.bigint();
  const { code, stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', script, '--', ...args]);
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (c) => resolve({ code: c, stdout: out, stderr: err }));
  });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (code !== 0) throw new Error(`imagewarden ${args.join(' ')} exited ${code}: ${stderr}`);
  const rss = /IW_MAXRSS_KB=(\d+)/.exec(stderr);
  return { seconds, peakRssMiB: rss ? Number(rss[1]) / 1024 : NaN, stdout };
}
