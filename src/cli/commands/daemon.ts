import pino from 'pino';
import { JOBS } from '../../../jobs';
import { runDaemon } from '../../daemon/daemon';
import type { CommandContext } from '../context';

/**
 * `daemon`: runs the scheduled jobs until SIGTERM, logging JSON lines to stdout. Resolves to
 * the exit code: 0 after a clean stop, 1 when the shutdown grace ran out with a job running.
 */
export async function daemonCommand(ctx: CommandContext): Promise<number> {
  // Synchronous writes: the last lines before exit (the shutdown) must not sit in a buffer.
  const logger = pino({ name: 'imagewarden', timestamp: pino.stdTimeFunctions.isoTime }, pino.destination({ dest: 1, sync: true }));
  const code = await runDaemon({ config: ctx.config, logger, jobs: JOBS });
  // A job abandoned at the end of the grace period may still hold sockets or timers open: the
  // process leaves anyway, once whatever else is pending (the CLI's own exit path) has run.
  if (code !== 0) setTimeout(() => process.exit(code), 500).unref();
  return code;
}
