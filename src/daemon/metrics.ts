import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { AdvisoryStore } from '../store/advisories';
import type { Db } from '../store/database';
import { JobRunStore } from '../store/job-runs';
import { VerdictStore } from '../store/verdicts';
import type { RunOutcome } from './job-runner';

const VERDICT_STATES = ['compliant', 'non-compliant', 'unknown'] as const;
const RUN_STATUSES = ['succeeded', 'failed', 'skipped'] as const;

/**
 * The daemon's Prometheus metrics, in a registry of its own. Run counts and durations are
 * counted as runs finish; the image verdicts, last successes and feed ages are read from the
 * store at scrape time, so they are right after a restart and whoever wrote them.
 */
export class DaemonMetrics {
  readonly registry = new Registry();
  private readonly jobRuns: Counter<'job' | 'status'>;
  private readonly jobDuration: Histogram<'job'>;
  private readonly imagesScanned: Counter;
  private readonly scanFailures: Counter;

  /** `jobs`: the scheduled jobs, whose counters start at 0 so that a rate is defined from the start. */
  constructor(db: Db, jobs: readonly string[], now: () => Date = () => new Date()) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    this.jobRuns = new Counter({ name: 'imagewarden_job_runs_total', help: 'Job runs by outcome (skipped: the job was still running).', labelNames: ['job', 'status'], registers });
    this.jobDuration = new Histogram({
      name: 'imagewarden_job_duration_seconds',
      help: 'Duration of finished job runs.',
      labelNames: ['job'],
      // From a match over a handful of images to a full sweep of a large cluster.
      buckets: [0.5, 2, 10, 30, 60, 300, 900, 1800, 3600, 7200, 14400],
      registers,
    });
    this.imagesScanned = new Counter({ name: 'imagewarden_images_scanned_total', help: 'Image digests scanned by sweeps.', registers });
    this.scanFailures = new Counter({ name: 'imagewarden_scan_failures_total', help: 'Image scans that failed during sweeps.', registers });
    for (const job of jobs) for (const status of RUN_STATUSES) this.jobRuns.inc({ job, status }, 0);

    const verdicts = new VerdictStore(db);
    new Gauge({
      name: 'imagewarden_images',
      help: 'Stored image digests by current verdict.',
      labelNames: ['verdict'],
      registers,
      collect() {
        const counts = verdicts.counts();
        for (const verdict of VERDICT_STATES) this.set({ verdict }, counts[verdict]);
      },
    });
    const runs = new JobRunStore(db);
    new Gauge({
      name: 'imagewarden_last_successful_run_timestamp_seconds',
      help: 'When each job last finished successfully (Unix time).',
      labelNames: ['job'],
      registers,
      collect() {
        this.reset();
        for (const run of runs.lastSuccesses()) this.set({ job: run.job }, Date.parse(run.finishedAt) / 1000);
      },
    });
    const advisories = new AdvisoryStore(db);
    new Gauge({
      name: 'imagewarden_feed_age_seconds',
      help: 'Time since each vulnerability feed was last imported.',
      labelNames: ['feed'],
      registers,
      collect() {
        this.reset();
        const at = now().getTime();
        for (const feed of advisories.feeds()) this.set({ feed: feed.name }, Math.max(0, (at - Date.parse(feed.importedAt)) / 1000));
      },
    });
  }

  recordOutcome(job: string, outcome: RunOutcome): void {
    this.jobRuns.inc({ job, status: outcome.status });
    if (outcome.status === 'skipped') return;
    this.jobDuration.observe({ job }, outcome.durationSeconds);
    // Only the sweep scans; the feeds job's `failed` counts feeds, not images.
    if ((outcome.status !== 'succeeded' && outcome.status !== 'interrupted') || job !== 'sweep') return;
    const summary = outcome.summary as Record<string, unknown>;
    if (isCount(summary.scanned)) this.imagesScanned.inc(summary.scanned);
    if (isCount(summary.failed)) this.scanFailures.inc(summary.failed);
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }
}

function isCount(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v) && v >= 0;
}
