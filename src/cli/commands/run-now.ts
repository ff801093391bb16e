import { JOBS } from '../../../jobs';
import { JobRunner } from '../../daemon/job-runner';
import { ConfigError, JobError } from '../../errors';
import type { CommandContext } from '../context';

/**
 * `run-now [--job NAME|all] [--source NAME]`: runs jobs once through the job runner (so the runs
 * are in the history, and a job the daemon is running now is not started twice), prints their
 * summaries, exits 0 when they ran — whatever the verdicts — and fails on the first job that fails.
 */
export async function runNowCommand(ctx: CommandContext, options: { job?: string; source?: string }, out: NodeJS.WritableStream): Promise<number> {
  const wanted = options.job ?? 'all';
  const jobs = wanted === 'all' ? JOBS : JOBS.filter((j) => j.name === wanted);
  if (!jobs.length) {
    throw new ConfigError(`unknown or unavailable job "${wanted}": this version runs ${JOBS.map((j) => j.name).join(', ')} (or all)`);
  }
  if (options.source !== undefined && !ctx.config.sources.some((s) => s.name === options.source)) {
    const known = ctx.config.sources.map((s) => s.name);
    throw new ConfigError(`--source ${options.source}: no such source in the config (${known.length ? `it has ${known.join(', ')}` : 'it has none'})`, {
      key: 'sources',
    });
  }
  // Ctrl-C or SIGTERM asks the running job to finish what is in flight, as the daemon's shutdown does.
  const interrupt = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => interrupt.abort(new Error(`interrupted (${signal})`));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const runner = new JobRunner({
      config: ctx.config,
      db: ctx.db,
      signal: interrupt.signal,
      interactive: process.stderr.isTTY === true,
      observer: { line: (_job, line) => out.write(`${line}\n`) },
    });
    runner.recoverInterrupted();
    for (const job of jobs) {
      if (interrupt.signal.aborted) throw new JobError(`${job.name} did not run: ${(interrupt.signal.reason as Error).message}`);
      const outcome = await runner.run(job, 'run-now', options.source !== undefined ? { source: options.source } : {});
      if (outcome.status === 'failed') throw outcome.error;
      if (outcome.status === 'skipped') throw new JobError(`${job.name} did not run: ${outcome.reason}`);
      if (outcome.status === 'interrupted') throw new JobError(`${job.name} was interrupted before it finished; the next run goes on from what it stored`);
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  return 0;
}
