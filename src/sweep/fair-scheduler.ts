export interface SchedulerLimits {
  /** Tasks running at once across all sources (`scan.maxConcurrentScans`). */
  total: number;
  /** Tasks running at once for one source (its `maxConcurrentScans`, ManageIQ's concurrent_per_ems). */
  perSource: (source: string) => number;
}

export type Scheduled<T> = { started: true; value: T } | { started: false };

interface Pending {
  run: () => void;
  cancel: () => void;
}

/**
 * Runs tasks with a per-source and an overall concurrency limit, one queue per source. A free
 * slot goes to the next source in turn that has work and room under its own limit, so a source
 * with a thousand slow scans queued takes its share of slots and no more: the others' scans
 * keep starting.
 */
export class FairScheduler {
  private readonly queues = new Map<string, Pending[]>();
  private readonly running = new Map<string, number>();
  /** Sources in the order they first submitted; the next turn starts after the one served last. */
  private readonly order: string[] = [];
  private lastServed = -1;
  private active = 0;
  private stopped = false;
  private idleWaiters: (() => void)[] = [];

  constructor(private readonly limits: SchedulerLimits) {
    if (!(limits.total >= 1)) throw new RangeError(`total concurrency must be at least 1, got ${limits.total}`);
  }

  /** Queues `task` under `source`; settles `{started: false}` when `stop()` came before it started. */
  submit<T>(source: string, task: () => Promise<T>): Promise<Scheduled<T>> {
    if (this.stopped) return Promise.resolve({ started: false });
    return new Promise<Scheduled<T>>((resolve, reject) => {
      let queue = this.queues.get(source);
      if (!queue) {
        queue = [];
        this.queues.set(source, queue);
        this.running.set(source, 0);
        this.order.push(source);
      }
      queue.push({
        run: () => {
          let running: Promise<T>;
          try {
            running = task();
          } catch (e) {
            // A task that throws before returning its promise still frees its slot.
            running = Promise.reject(e);
          }
          running
            .then(
              (value) => resolve({ started: true, value }),
              (e: unknown) => reject(e),
            )
            .finally(() => this.finished(source));
        },
        cancel: () => resolve({ started: false }),
      });
      this.pump();
    });
  }

  /** Takes nothing new: queued tasks settle as not started, running ones finish. */
  stop(): void {
    this.stopped = true;
    for (const queue of this.queues.values()) for (const p of queue.splice(0)) p.cancel();
    this.notifyIdle();
  }

  /** Resolves when nothing is queued or running. */
  idle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  runningFor(source: string): number {
    return this.running.get(source) ?? 0;
  }

  private finished(source: string): void {
    this.active--;
    this.running.set(source, (this.running.get(source) ?? 1) - 1);
    this.pump();
    this.notifyIdle();
  }

  private pump(): void {
    while (this.active < this.limits.total) {
      const source = this.nextSource();
      if (source === undefined) return;
      const next = this.queues.get(source)!.shift()!;
      this.active++;
      this.running.set(source, this.runningFor(source) + 1);
      next.run();
    }
  }

  /** The next source in turn with queued work and a free slot of its own. */
  private nextSource(): string | undefined {
    for (let i = 1; i <= this.order.length; i++) {
      const index = (this.lastServed + i) % this.order.length;
      const source = this.order[index]!;
      if (!this.queues.get(source)!.length) continue;
      if (this.runningFor(source) >= Math.max(1, this.limits.perSource(source))) continue;
      this.lastServed = index;
      return source;
    }
    return undefined;
  }

  private isIdle(): boolean {
    return this.active === 0 && [...this.queues.values()].every((q) => q.length === 0);
  }

  private notifyIdle(): void {
    if (!this.isIdle()) return;
    for (const w of this.idleWaiters.splice(0)) w();
  }
}
