import { spawnSync } from 'node:child_process';

/**
 * Runs one of the CLIs the harness relies on (htpasswd, openssl, zstd) and returns its stdout.
 * A missing tool is reported with the package that provides it, since that is the usual fix.
 */
export function runCli(command: string, args: string[], input?: Buffer): Buffer {
  const result = spawnSync(command, args, { input, maxBuffer: 256 * 1024 * 1024 });
  if (result.error) {
    throw new Error(
      `${command} could not be run (${result.error.message}); scripts/install-test-deps.sh installs it`,
    );
  }
  if (result.status !== 0) {
    throw new Error(`${command} ${args.join(' ')} exited ${result.status}: ${result.stderr.toString().trim()}`);
  }
  return result.stdout;
}
