import path from 'node:path';
import { Piscina } from 'piscina';
import { ConfigError } from '../../errors';
import type { ScanTask, ScanTaskOutcome, ScanWorkerSettings } from './scan-task';

/** The compiled worker next to this compiled module: worker threads load JavaScript only. */
const WORKER_FILE = path.join(__dirname, 'scan-worker.js');

export interface ScanPoolOptions extends Omit<ScanWorkerSettings, 'threads'> {
  /** Worker threads (`scan.workers`). */
  threads: number;
  /** Scans in flight at most (`scan.maxConcurrentScans`), spread over the threads. */
  concurrentScans: number;
}

/**
 * Scans images on worker threads. A scan is mostly waiting on the network with bursts of
 * inflating and parsing, so each thread runs several scans at once: `concurrentScans` in flight
 * over `threads` cores.
 */
export class ScanPool {
  private readonly pool: Piscina<ScanTask, ScanTaskOutcome>;

  constructor(options: ScanPoolOptions) {
    if (options.database === ':memory:') {
      throw new ConfigError('a sweep needs a database file: worker threads cannot share an in-memory database', { key: 'database' });
    }
    const { threads, concurrentScans, ...settings } = options;
    const workerSettings: ScanWorkerSettings = { ...settings, database: path.resolve(settings.database), threads };
    this.pool = new Piscina<ScanTask, ScanTaskOutcome>({
      filename: WORKER_FILE,
      name: 'scanTask',
      minThreads: threads,
      maxThreads: threads,
      concurrentTasksPerWorker: Math.max(1, Math.ceil(concurrentScans / threads)),
      workerData: workerSettings,
    });
  }

  /**
   * Runs one scan. No abort signal is handed to Piscina: aborting a running task terminates its
   * whole thread, and with it every other scan in flight there. A stopping sweep takes no new
   * scans (its scheduler) and lets these finish.
   */
  scan(task: ScanTask): Promise<ScanTaskOutcome> {
    return this.pool.run(task);
  }

  /** Waits for running tasks and stops the threads. */
  close(): Promise<void> {
    return this.pool.close();
  }
}
