/**
 * When to retry and how long to wait. Only requests whose body has not been handed to a caller
 * are retried (see http-client.ts), so every status and error here is safe to repeat for GET.
 */
export interface RetryTiming {
  /** First backoff step; doubles per attempt. */
  baseDelayMs: number;
  /** Ceiling of the exponential backoff. */
  maxDelayMs: number;
  /** Ceiling of a server-requested `Retry-After`, so a hostile or broken value cannot stall a sweep. */
  maxRetryAfterMs: number;
}

export const DEFAULT_RETRY_TIMING: RetryTiming = { baseDelayMs: 300, maxDelayMs: 10_000, maxRetryAfterMs: 60_000 };

export function isRetryableStatus(status: number): boolean {
  return status === 429 || (status >= 500 && status <= 599 && status !== 501 && status !== 505);
}

/** Codes of failures that may pass: a refused connection during a registry restart, resets, timeouts. */
const TRANSIENT_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
]);

export function isTransientCode(code: string | undefined): boolean {
  return code !== undefined && TRANSIENT_CODES.has(code);
}

/** Exponential backoff with jitter in [50%, 100%] of the step, so clients that failed together spread out. */
export function backoffDelay(attempt: number, timing: RetryTiming, random: () => number = Math.random): number {
  const step = Math.min(timing.maxDelayMs, timing.baseDelayMs * 2 ** attempt);
  return Math.round(step * (0.5 + random() * 0.5));
}

/**
 * `Retry-After` as milliseconds from `now`: delay-seconds or an HTTP-date (RFC 9110 §10.2.3),
 * capped. Undefined when absent or unparseable, so the caller falls back to its own backoff.
 */
export function retryAfterDelay(value: string | undefined, timing: RetryTiming, now: number = Date.now()): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  let ms: number;
  if (/^\d+$/.test(text)) {
    ms = Number(text) * 1000;
  } else {
    const at = Date.parse(text);
    if (Number.isNaN(at)) return undefined;
    ms = Math.max(0, at - now);
  }
  return Math.min(ms, timing.maxRetryAfterMs);
}
