import { feedsJob } from './feeds';
import type { Job } from './job';
import { matchJob } from './match';
import { reportJob } from './report';
import { sweepJob } from './sweep';

/**
 * Every job by name, in the order `run-now --job all` runs them: fresh feeds first, then the
 * match over stored inventories, then the sweep (new digests, verdicts, enforcement), then the
 * report of the result.
 */
export const JOBS: readonly Job<object>[] = [feedsJob, matchJob, sweepJob, reportJob];

export function jobNamed(name: string): Job<object> | undefined {
  return JOBS.find((j) => j.name === name);
}
