import { JOBS } from '../../../jobs';
import { ImagewardenError } from '../../errors';
import type { CommandContext } from '../context';


/** `run-now [--job NAME|all]`: runs jobs once, prints their summaries, exits 0 when they ran. */
export async function runNowCommand(ctx: CommandContext, options: { job?: string }, out: NodeJS.WritableStream): Promise<number> {
  const wanted = options.job ?? 'all';
  const jobs = wanted === 'all' ? JOBS : JOBS.filter((j) => j.name === wanted);
  if (!jobs.length) {
    throw new ImagewardenError('config', `unknown or unavailable job "${wanted}": this version runs ${JOBS.map((j) => j.name).join(', ')} (or all)`);
  }
  for (const job of jobs) {
    await job.run({ config: ctx.config, db: ctx.db, log: (line) => out.write(`${line}\n`) });
  }
  return 0;
}
