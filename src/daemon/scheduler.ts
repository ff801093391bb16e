import { createTask, type Logger, type ScheduledTask } from 'node-cron';
import type { Job } from '../../jobs/job';
import type { Config } from '../config/schema';
import { ConfigError } from '../errors';

export interface ScheduledJob {
  job: Job<object>;
  expression: string;
}

/**
 * The jobs the config schedules, each with its cron expression. A job left out of `schedules`
 * is not scheduled; a schedule for a job this build does not have is refused, since a daemon
 * that silently never runs it would look healthy.
 */
export function scheduledJobs(schedules: Config['schedules'], jobs: readonly Job<object>[]): ScheduledJob[] {
  const planned: ScheduledJob[] = [];
  for (const [name, expression] of Object.entries(schedules)) {
    if (expression === undefined) continue;
    const job = jobs.find((j) => j.name === name);
    if (!job) {
      throw new ConfigError(`schedules.${name}: there is no "${name}" job in this version (it has ${jobs.map((j) => j.name).join(', ')})`, {
        key: `schedules.${name}`,
      });
    }
    planned.push({ job, expression });
  }
  return planned;
}

/** Fires each scheduled job on its cron expression, in the configured time zone. */
/** How late a tick may still run. */
const MISSED_TICK_TOLERANCE_MS = 15 * 60_000;

export class Scheduler {
  private tasks: ScheduledTask[];

  constructor(
    planned: readonly ScheduledJob[],
    timezone: string,
    fire: (job: Job<object>) => Promise<unknown>,
    logger: Logger,
  ) {
    this.tasks = planned.map(({ job, expression }) => {
      try {
        // No `noOverlap`: every tick reaches the job runner, which skips a job still running
        // and records the skip the same way whether the other run is scheduled or run-now's.
        // A tick that comes late because the process was busy still runs: node-cron drops a tick
        // more than a second late by default, which would silently skip a nightly job.
        return createTask(expression, () => fire(job), { name: job.name, timezone, logger, missedExecutionTolerance: MISSED_TICK_TOLERANCE_MS });
      } catch (e) {
        throw new ConfigError(`schedules.${job.name}: ${(e as Error).message}`, { key: `schedules.${job.name}` }, { cause: e });
      }
    });
  }

  async start(): Promise<void> {
    for (const task of this.tasks) await task.start();
  }

  /** Takes no new ticks; runs in progress are not touched. */
  async stop(): Promise<void> {
    const tasks = this.tasks;
    this.tasks = [];
    for (const task of tasks) await task.destroy();
  }

  /** The next time each job fires. */
  nextRuns(): { job: string; at: Date | null }[] {
    return this.tasks.map((t) => ({ job: t.name ?? t.id, at: t.getNextRun() }));
  }
}
