import type { Config } from '../src/config/schema';
import type { Db } from '../src/store/database';

export interface JobContext {
  config: Config;
  db: Db;
  /** One line of progress or summary for the operator. */
  log: (line: string) => void;
  /** Aborted on SIGTERM: a job finishes what is in flight and takes nothing new. */
  signal?: AbortSignal;
  /** `run-now --source NAME`: limit a sweep to one configured source. */
  source?: string;
  /** Whether a person watches (a TTY): jobs may then draw a progress bar on stderr. */
  interactive?: boolean;
}

/** A scheduled job: the daemon runs it on its cron schedule, `run-now` runs it once. */
export interface Job<Summary = Record<string, number>> {
  readonly name: string;
  run(ctx: JobContext): Promise<Summary>;
}
