import type { Config } from '../src/config/schema';
import type { Db } from '../src/store/database';

export interface JobContext {
  config: Config;
  db: Db;
  /** One line of progress or summary for the operator. */
  log: (line: string) => void;
}

/** A scheduled job: the daemon runs it on its cron schedule, `run-now` runs it once. */
export interface Job<Summary = Record<string, number>> {
  readonly name: string;
  run(ctx: JobContext): Promise<Summary>;
}
