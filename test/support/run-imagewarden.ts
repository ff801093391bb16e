import { spawn } from 'node:child_process';
import path from 'node:path';

const CLI = path.join(__dirname, '../../dist/src/cli/main.js');

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs the compiled imagewarden CLI as a user would; asynchronous so that servers in the test
 * process (the fault proxy) keep answering while it runs.
 */
export function cli(
  args: string[],
  options: { config?: string; cwd?: string; timeoutMs?: number } = {},
  /** Another command line to run instead (e.g. the CLI wrapped in `script` for a terminal). */
  command?: string[],
): Promise<CliResult> {
  const [program, ...argv] = command ?? [process.execPath, CLI, ...(options.config ? ['--config', options.config] : []), ...args];
  return new Promise((resolve, reject) => {
    const child = spawn(program, argv, { cwd: options.cwd, env: { ...process.env, NO_COLOR: '1' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    // A hung CLI is a failure to report, not a test run that never ends.
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
    child.on('error', reject);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}
