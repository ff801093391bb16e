import type { Job, JobContext } from '../../jobs/job';
import type { Config } from '../config/schema';
import { messageOf } from '../errors';
import type { Db } from '../store/database';
import { JobRunStore, type JobTrigger } from '../store/job-runs';
import { JobLocks } from './job-lock';

export type RunOutcome =
  | { status: 'succeeded'; runId: number; summary: object; durationSeconds: number }
  | { status: 'failed'; runId: number; error: unknown; durationSeconds: number }
  /** Stopped by shutdown (SIGTERM, Ctrl-C) before it finished: what it did is in `summary`. */
  | { status: 'interrupted'; runId: number; summary: object; durationSeconds: number }
  | { status: 'skipped'; reason: string };

/** Who hears about runs: the daemon's log and metrics, or run-now's output. */
export interface JobObserver {
  started?(job: string, trigger: JobTrigger, runId: number): void;
  /** A progress or summary line the job wrote through `ctx.log`. */
  line?(job: string, line: string): void;
  finished?(job: string, trigger: JobTrigger, outcome: RunOutcome): void;
}

export interface JobRunnerOptions {
  config: Config;
  db: Db;
  observer?: JobObserver;
  /** Aborted on shutdown: every run's context carries it. */
  signal?: AbortSignal;
  interactive?: boolean;
}

/**
 * Runs jobs with a record in `job_runs` for each run, and never two runs of the same job at
 * once: a request while the job runs (here or in another process on the same database) is
 * skipped and reported, not queued.
 */
export class JobRunner {
  private readonly runs: JobRunStore;
  private readonly locks: JobLocks;
  private readonly inFlight = new Map<string, { runId: number; done: Promise<RunOutcome> }>();
  private abandoned = false;

  constructor(private readonly options: JobRunnerOptions) {
    this.runs = new JobRunStore(options.db);
    const db = options.db;
    this.locks = new JobLocks(db.memory ? undefined : db.name);
  }

  /**
   * Closes the history rows of runs whose process died: a row still `running` whose job lock
   * nobody holds. Returns the jobs whose rows were closed. The work itself needs no resuming:
   * scans are stored per image, so the next run picks up where the dead one stopped.
   */
  recoverInterrupted(): string[] {
    const recovered: string[] = [];
    for (const job of this.runs.runningJobs()) {
      const lock = this.locks.tryAcquire(job);
      if (!lock.acquired) continue;
      try {
        if (this.runs.markInterrupted(job) > 0) recovered.push(job);
      } finally {
        lock.release();
      }
    }
    return recovered;
  }

  run(job: Job<object>, trigger: JobTrigger, extra: Pick<JobContext, 'source'> = {}): Promise<RunOutcome> {
    const lock = this.locks.tryAcquire(job.name);
    if (!lock.acquired) {
      const reason =
        lock.holderPid === process.pid ? 'a run of this job is still in progress' : `a run of this job is in progress in process ${lock.holderPid}`;
      return Promise.resolve(this.report(job.name, trigger, { status: 'skipped', reason }));
    }
    let runId: number;
    try {
      // Holding the lock proves that any row still `running` for this job belongs to a dead process.
      this.runs.markInterrupted(job.name);
      runId = this.runs.start(job.name, trigger);
    } catch (e) {
      // The history could not be written (a busy or full disk): the job does not run, and its
      // lock must not outlive this attempt, or every later run would be skipped.
      lock.release();
      return Promise.reject(e);
    }
    this.options.observer?.started?.(job.name, trigger, runId);
    const done = this.execute(job, trigger, runId, extra).finally(() => {
      this.inFlight.delete(job.name);
      lock.release();
    });
    this.inFlight.set(job.name, { runId, done });
    return done;
  }

  /** Names of the jobs running in this process now. */
  running(): string[] {
    return [...this.inFlight.keys()];
  }

  /** Resolves once no run started here is in progress. */
  async idle(): Promise<void> {
    while (this.inFlight.size) await Promise.allSettled([...this.inFlight.values()].map((r) => r.done));
  }

  /**
   * The process is leaving with runs still going (the shutdown grace ran out): their rows are
   * closed as interrupted now, and whatever they do later is not recorded.
   */
  abandon(): string[] {
    this.abandoned = true;
    const names = this.running();
    for (const name of names) this.runs.markInterrupted(name);
    return names;
  }

  private async execute(job: Job<object>, trigger: JobTrigger, runId: number, extra: Pick<JobContext, 'source'>): Promise<RunOutcome> {
    const { config, db, signal, interactive, observer } = this.options;
    const started = process.hrtime.bigint();
    const seconds = () => Number(process.hrtime.bigint() - started) / 1e9;
    const ctx: JobContext = {
      config,
      db,
      log: (line) => observer?.line?.(job.name, line),
      ...(signal && { signal }),
      ...(extra.source !== undefined && { source: extra.source }),
      ...(interactive !== undefined && { interactive }),
    };
    let outcome: RunOutcome;
    try {
      const summary = await job.run(ctx);
      outcome = signal?.aborted
        ? { status: 'interrupted', runId, summary, durationSeconds: seconds() }
        : { status: 'succeeded', runId, summary, durationSeconds: seconds() };
    } catch (error) {
      outcome = { status: 'failed', runId, error, durationSeconds: seconds() };
    }
    // Outside the try: a failure to write the history is the store's, not the job's.
    if (!this.abandoned) {
      if (outcome.status === 'succeeded') this.runs.finish(runId, outcome.summary);
      else if (outcome.status === 'interrupted') this.runs.interrupt(runId, outcome.summary);
      else if (outcome.status === 'failed') this.runs.fail(runId, messageOf(outcome.error));
    }
    return this.report(job.name, trigger, outcome);
  }

  private report(job: string, trigger: JobTrigger, outcome: RunOutcome): RunOutcome {
    this.options.observer?.finished?.(job, trigger, outcome);
    return outcome;
  }
}
