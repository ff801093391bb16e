import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Spaces request starts to at most `requestsPerSecond` for one host. Slots are handed out in
 * call order, so concurrent callers queue fairly instead of bursting after a shared wait.
 */
export class RateLimiter {
  private readonly intervalMs: number;
  private nextSlot = 0;

  constructor(requestsPerSecond: number) {
    if (!(requestsPerSecond > 0)) throw new RangeError(`requestsPerSecond must be positive, got ${requestsPerSecond}`);
    this.intervalMs = 1000 / requestsPerSecond;
  }

  async acquire(): Promise<void> {
    const now = Date.now();
    const at = Math.max(now, this.nextSlot);
    this.nextSlot = at + this.intervalMs;
    if (at > now) await sleep(at - now);
  }
}
