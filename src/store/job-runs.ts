import type { Db } from './database';

export type JobTrigger = 'schedule' | 'run-now';
export type JobRunStatus = 'running' | 'succeeded' | 'failed' | 'interrupted';

export interface JobRun {
  id: number;
  job: string;
  trigger: JobTrigger;
  startedAt: string;
  finishedAt?: string;
  status: JobRunStatus;
  summary?: unknown;
  error?: string;
}

interface JobRunRow {
  id: number;
  job: string;
  trigger: JobTrigger;
  started_at: string;
  finished_at: string | null;
  status: JobRunStatus;
  summary: string | null;
  error: string | null;
}

/**
 * The history of job runs (`job_runs`): one row per run, written `running` when it starts and
 * finished with its summary or its error, so a run that never finished stays visible.
 */
export class JobRunStore {
  constructor(private readonly db: Db) {}

  start(job: string, trigger: JobTrigger, at = new Date()): number {
    const result = this.db
      .prepare("INSERT INTO job_runs (job, trigger, started_at, status) VALUES (?, ?, ?, 'running')")
      .run(job, trigger, at.toISOString());
    return Number(result.lastInsertRowid);
  }

  finish(id: number, summary: unknown, at = new Date()): void {
    this.db
      .prepare("UPDATE job_runs SET status = 'succeeded', finished_at = ?, summary = ? WHERE id = ?")
      .run(at.toISOString(), JSON.stringify(summary ?? null), id);
  }

  /** A run stopped by shutdown before it finished, with what it got done. */
  interrupt(id: number, summary: unknown, at = new Date()): void {
    this.db
      .prepare("UPDATE job_runs SET status = 'interrupted', finished_at = ?, summary = ?, error = 'stopped by shutdown before it finished' WHERE id = ?")
      .run(at.toISOString(), JSON.stringify(summary ?? null), id);
  }

  fail(id: number, error: string, at = new Date()): void {
    this.db.prepare("UPDATE job_runs SET status = 'failed', finished_at = ?, error = ? WHERE id = ?").run(at.toISOString(), error, id);
  }

  /** Jobs with a row still `running`: candidates for {@link markInterrupted} once nobody runs them. */
  runningJobs(): string[] {
    return this.db.prepare<[], string>("SELECT DISTINCT job FROM job_runs WHERE status = 'running' ORDER BY job").pluck().all();
  }

  /** Closes the rows a process that died mid-run left `running`; returns how many. */
  markInterrupted(job: string, at = new Date()): number {
    return this.db
      .prepare(
        "UPDATE job_runs SET status = 'interrupted', finished_at = ?, error = 'the process running it stopped before it finished' WHERE job = ? AND status = 'running'",
      )
      .run(at.toISOString(), job).changes;
  }

  lastSuccess(job: string): JobRun | undefined {
    const row = this.db
      .prepare<[string], JobRunRow>("SELECT * FROM job_runs WHERE job = ? AND status = 'succeeded' ORDER BY finished_at DESC, id DESC LIMIT 1")
      .get(job);
    return row && fromRow(row);
  }

  /** When each job last succeeded: read at every scrape, so one grouped pass over the history. */
  lastSuccesses(): { job: string; finishedAt: string }[] {
    return this.db
      .prepare<[], { job: string; finishedAt: string }>(
        "SELECT job, max(finished_at) AS finishedAt FROM job_runs WHERE status = 'succeeded' GROUP BY job ORDER BY job",
      )
      .all();
  }

  /** The newest runs first. */
  recent(limit: number): JobRun[] {
    return this.db.prepare<[number], JobRunRow>('SELECT * FROM job_runs ORDER BY started_at DESC, id DESC LIMIT ?').all(limit).map(fromRow);
  }
}

function fromRow(r: JobRunRow): JobRun {
  return {
    id: r.id,
    job: r.job,
    trigger: r.trigger,
    startedAt: r.started_at,
    ...(r.finished_at !== null && { finishedAt: r.finished_at }),
    status: r.status,
    ...(r.summary !== null && { summary: JSON.parse(r.summary) as unknown }),
    ...(r.error !== null && { error: r.error }),
  };
}
