import type { Logger as CronLogger } from 'node-cron';
import type { Logger } from 'pino';
import type { Job } from '../../jobs/job';
import type { Config } from '../config/schema';
import { messageOf } from '../errors';
import { openDatabase, type Db } from '../store/database';
import { startProbeServer, type ProbeServer } from './http-server';
import { JobRunner, type JobObserver } from './job-runner';
import { DaemonMetrics } from './metrics';
import { scheduledJobs, Scheduler } from './scheduler';

export interface DaemonOptions {
  config: Config;
  logger: Logger;
  jobs: readonly Job<object>[];
}

type DaemonState = 'starting' | 'ready' | 'stopping' | 'stopped';

/**
 * The long-running service: the store, the probe and metrics endpoint, and the scheduler that
 * runs the configured jobs through the job runner. {@link stop} is the graceful shutdown.
 */
export class Daemon {
  private state: DaemonState = 'starting';
  private readonly shutdown = new AbortController();
  private db?: Db;
  private runner?: JobRunner;
  private server?: ProbeServer;
  private scheduler?: Scheduler;
  private stopping?: Promise<number>;

  constructor(private readonly options: DaemonOptions) {}

  /** The bound `host:port` of the endpoint, once started. */
  get address(): string | undefined {
    return this.server?.address;
  }

  async start(): Promise<void> {
    const { config, logger } = this.options;
    // The schedules are checked before anything is opened: a bad one is a config error, not a half-started daemon.
    const planned = scheduledJobs(config.schedules, this.options.jobs);
    try {
      const db = openDatabase(config.database);
      this.db = db;
      const metrics = new DaemonMetrics(db, planned.map((p) => p.job.name));
      const runner = new JobRunner({ config, db, signal: this.shutdown.signal, interactive: false, observer: this.observer(metrics) });
      this.runner = runner;
      const recovered = runner.recoverInterrupted();
      if (recovered.length) logger.warn({ jobs: recovered }, `marked the unfinished runs of ${recovered.join(', ')} interrupted (a previous process stopped mid-run)`);
      this.server = await startProbeServer(config.http.listen, {
        ready: () => this.state === 'ready',
        metrics: async () => ({ contentType: metrics.contentType, body: await metrics.text() }),
      });
      logger.info({ address: this.server.address, database: config.database }, `listening on http://${this.server.address} (/healthz /readyz /metrics)`);
      this.scheduler = new Scheduler(planned, config.timezone, (job) => this.fire(job), cronLogger(logger));
      await this.scheduler.start();
    } catch (e) {
      await this.release();
      throw e;
    }
    this.state = 'ready';
    logger.info(
      { timezone: config.timezone, schedules: this.scheduler.nextRuns().map((r) => ({ job: r.job, next: r.at?.toISOString() ?? null })) },
      planned.length ? `scheduled ${planned.map((p) => `${p.job.name} (${p.expression})`).join(', ')}` : 'no job is scheduled (config schedules is empty)',
    );
  }

  /**
   * Graceful stop: not ready any more, no new runs, the running jobs' signal aborted (they finish
   * what is in flight), then up to `daemon.shutdownGraceSeconds` for them. Resolves to the exit
   * code: 0, or 1 when the grace ran out with a job still running.
   */
  stop(reason: string): Promise<number> {
    this.stopping ??= this.stopGracefully(reason);
    return this.stopping;
  }

  private async stopGracefully(reason: string): Promise<number> {
    const { logger, config } = this.options;
    this.state = 'stopping';
    await this.scheduler?.stop();
    const running = this.runner?.running() ?? [];
    logger.info({ reason, running }, running.length ? `stopping (${reason}): waiting for ${running.join(', ')}` : `stopping (${reason})`);
    this.shutdown.abort(new Error(`imagewarden is shutting down (${reason})`));
    const finished = await within(this.runner?.idle() ?? Promise.resolve(), config.daemon.shutdownGraceSeconds * 1000);
    let code = 0;
    if (!finished) {
      const abandoned = this.runner?.abandon() ?? [];
      logger.error({ jobs: abandoned }, `${abandoned.join(', ')} still running after ${config.daemon.shutdownGraceSeconds}s: recorded as interrupted`);
      code = 1;
    }
    await this.release();
    this.state = 'stopped';
    logger.info({ exitCode: code }, 'stopped');
    return code;
  }

  private fire(job: Job<object>): Promise<unknown> {
    if (this.state !== 'ready' || !this.runner) return Promise.resolve();
    // The runner records a failing job itself; what reaches here is the store failing to record it.
    return this.runner.run(job, 'schedule').catch((e: unknown) => this.options.logger.error({ job: job.name, error: messageOf(e) }, `${job.name}: the run could not be recorded`));
  }

  private observer(metrics: DaemonMetrics): JobObserver {
    const { logger } = this.options;
    return {
      started: (job, trigger, runId) => logger.info({ job, trigger, runId }, `${job} started`),
      line: (job, line) => logger.info({ job }, line),
      finished: (job, trigger, outcome) => {
        metrics.recordOutcome(job, outcome);
        switch (outcome.status) {
          case 'succeeded':
            return logger.info({ job, trigger, runId: outcome.runId, status: outcome.status, durationSeconds: outcome.durationSeconds, summary: outcome.summary }, `${job} succeeded`);
          case 'failed':
            return logger.error(
              { job, trigger, runId: outcome.runId, status: outcome.status, durationSeconds: outcome.durationSeconds, error: messageOf(outcome.error) },
              `${job} failed: ${messageOf(outcome.error)}`,
            );
          case 'interrupted':
            return logger.warn(
              { job, trigger, runId: outcome.runId, status: outcome.status, durationSeconds: outcome.durationSeconds, summary: outcome.summary },
              `${job} interrupted by shutdown`,
            );
          case 'skipped':
            return logger.warn({ job, trigger, status: outcome.status, reason: outcome.reason }, `${job} skipped: ${outcome.reason}`);
        }
      },
    };
  }

  private async release(): Promise<void> {
    await this.scheduler?.stop();
    await this.server?.close();
    this.db?.close();
  }
}

/** Runs the daemon until SIGTERM or SIGINT; resolves to the process exit code. */
export async function runDaemon(options: DaemonOptions): Promise<number> {
  const daemon = new Daemon(options);
  await daemon.start();
  return new Promise<number>((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      void daemon.stop(signal).then((code) => {
        process.off('SIGTERM', onSignal);
        process.off('SIGINT', onSignal);
        resolve(code);
      });
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
}

/** Whether `work` settled within `ms`; the timer does not outlive the wait. */
async function within(work: Promise<void>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([work.then(() => true as const), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function cronLogger(logger: Logger): CronLogger {
  const cron = logger.child({ component: 'scheduler' });
  return {
    info: (m) => cron.info(m),
    warn: (m) => cron.warn(m),
    error: (m, err) => cron.error({ error: messageOf(err ?? m) }, typeof m === 'string' ? m : m.message),
    debug: (m) => cron.debug(typeof m === 'string' ? m : m.message),
  };
}
