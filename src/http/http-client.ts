import http from 'node:http';
import https from 'node:https';
import { setTimeout as sleep } from 'node:timers/promises';
import { ConfigError, RegistryError } from '../errors';
import { AgentPool } from './agents';
import type { HostProfile } from './host-profile';
import { RateLimiter } from './rate-limiter';
import { HttpResponse } from './response';
import {
  backoffDelay,
  DEFAULT_RETRY_TIMING,
  isRetryableStatus,
  retryAfterDelay,
  type RetryTiming,
} from './retry-policy';
import { DeadlineExceeded, displayUrl, isRetryableTransportError, transportError } from './transport-errors';

export interface HttpClientOptions {
  userAgent?: string;
  connectTimeoutMs?: number;
  /** Longest silence allowed while waiting for headers or body bytes. */
  idleTimeoutMs?: number;
  /** Extra attempts after the first, for transport errors, 5xx and 429. */
  retries?: number;
  retryTiming?: Partial<RetryTiming>;
  maxRedirects?: number;
}

export interface RequestOptions {
  method?: 'GET' | 'HEAD';
  headers?: Record<string, string | undefined>;
  retries?: number;
  connectTimeoutMs?: number;
  idleTimeoutMs?: number;
  /** false: hand 3xx answers to the caller. */
  followRedirects?: boolean;
}

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

export const DEFAULT_USER_AGENT = 'imagewarden/0.1';

/**
 * The one way out of the process: every registry, token service and feed download goes through
 * here, so timeouts, retries, Retry-After, per-host rate limits and TLS settings apply everywhere.
 */
export class HttpClient {
  private readonly profiles = new Map<string, HostProfile>();
  private readonly limiters = new Map<string, RateLimiter>();
  private readonly agents = new AgentPool();
  private readonly userAgent: string;
  private readonly connectTimeoutMs: number;
  private readonly idleTimeoutMs: number;
  private readonly retries: number;
  private readonly timing: RetryTiming;
  private readonly maxRedirects: number;

  constructor(options: HttpClientOptions = {}) {
    this.userAgent = options.userAgent ?? DEFAULT_USER_AGENT;
    this.connectTimeoutMs = options.connectTimeoutMs ?? 10_000;
    this.idleTimeoutMs = options.idleTimeoutMs ?? 60_000;
    this.retries = options.retries ?? 3;
    this.timing = { ...DEFAULT_RETRY_TIMING, ...options.retryTiming };
    this.maxRedirects = options.maxRedirects ?? 5;
  }

  /**
   * Sets TLS and rate settings for `host` (`name` for any port, or `name:port`). Registering the
   * same settings again (every client of a host does) keeps its connections and its rate slots.
   */
  configureHost(host: string, profile: HostProfile): void {
    const key = host.toLowerCase();
    const previous = this.profiles.get(key);
    this.profiles.set(key, profile);
    if (!previous || previous.requestsPerSecond !== profile.requestsPerSecond) {
      this.limiters.delete(key);
      if (profile.requestsPerSecond !== undefined) this.limiters.set(key, new RateLimiter(profile.requestsPerSecond));
    }
    if (!previous || previous.ca !== profile.ca || previous.rejectUnauthorized !== profile.rejectUnauthorized) this.agents.forget(key);
  }

  /**
   * Sends a request, retrying transport failures and retryable statuses before any body is
   * handed out, and following redirects. Resolves with any final status: callers decide what
   * a 404 means. Rejects with RegistryError ('registry-unreachable' | 'registry-timeout' |
   * 'registry-http' for redirect loops), or ConfigError for a URL that is not http(s).
   */
  async request(target: string | URL, options: RequestOptions = {}): Promise<HttpResponse> {
    let url = new URL(target);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new ConfigError(`only http and https URLs can be fetched, not ${displayUrl(url)}`, { url: displayUrl(url) });
    }
    const headers = normalizeHeaders({ 'user-agent': this.userAgent, ...options.headers });
    for (let hops = 0; ; hops++) {
      const res = await this.withRetries(url, headers, options);
      const location = res.header('location');
      if (options.followRedirects === false || !REDIRECT_STATUSES.has(res.status) || !location) return res;
      res.discard();
      if (hops >= this.maxRedirects) {
        throw new RegistryError('registry-http', `more than ${this.maxRedirects} redirects starting at ${displayUrl(new URL(target))}`, {
          registry: url.host,
          url: displayUrl(url),
          status: res.status,
        });
      }
      const next = new URL(location, url);
      // Blob downloads are redirected to storage hosts: registry credentials must not follow.
      if (next.origin !== url.origin) delete headers.authorization;
      url = next;
    }
  }

  /** Closes idle keep-alive sockets so a process (or a test) can exit. */
  close(): void {
    this.agents.destroyAll();
  }

  private async withRetries(url: URL, headers: Record<string, string>, options: RequestOptions): Promise<HttpResponse> {
    const retries = options.retries ?? this.retries;
    for (let attempt = 0; ; attempt++) {
      await this.limiterFor(url)?.acquire();
      let res: HttpResponse;
      try {
        res = await this.send(url, headers, options);
      } catch (err) {
        if (attempt < retries && isRetryableTransportError(err)) {
          await sleep(backoffDelay(attempt, this.timing));
          continue;
        }
        throw transportError(err, url, attempt + 1);
      }
      if (attempt < retries && isRetryableStatus(res.status)) {
        const wait = retryAfterDelay(res.header('retry-after'), this.timing) ?? backoffDelay(attempt, this.timing);
        res.discard();
        await sleep(wait);
        continue;
      }
      return res;
    }
  }

  private send(url: URL, headers: Record<string, string>, options: RequestOptions): Promise<HttpResponse> {
    const method = options.method ?? 'GET';
    const connectMs = options.connectTimeoutMs ?? this.connectTimeoutMs;
    const idleMs = options.idleTimeoutMs ?? this.idleTimeoutMs;
    const transport = url.protocol === 'https:' ? https : http;
    const agent = this.agents.get(url, this.profileFor(url)?.[1]);
    return new Promise((resolve, reject) => {
      const req = transport.request(url, { method, headers, agent });
      let response: HttpResponse | undefined;
      let connectTimer: NodeJS.Timeout | undefined;
      const fail = (err: unknown): void => {
        clearTimeout(connectTimer);
        if (response) {
          if (response.complete) return;
          response.fail(err);
        } else {
          reject(err);
        }
        req.destroy();
      };
      req.on('socket', (socket) => {
        if (!socket.connecting) return; // a reused keep-alive socket is already connected
        connectTimer = setTimeout(() => fail(new DeadlineExceeded('connect', connectMs)), connectMs);
        socket.once('connect', () => clearTimeout(connectTimer));
      });
      req.setTimeout(idleMs, () => fail(new DeadlineExceeded('idle', idleMs)));
      req.on('error', fail);
      req.on('response', (message) => {
        clearTimeout(connectTimer);
        response = new HttpResponse(message, url, method);
        resolve(response);
      });
      req.end();
    });
  }

  private profileFor(url: URL): [string, HostProfile] | undefined {
    for (const key of [url.host, url.hostname]) {
      const profile = this.profiles.get(key);
      if (profile) return [key, profile];
    }
    return undefined;
  }

  private limiterFor(url: URL): RateLimiter | undefined {
    const key = this.profileFor(url)?.[0];
    return key === undefined ? undefined : this.limiters.get(key);
  }
}

function normalizeHeaders(headers: Record<string, string | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) if (value !== undefined) out[name.toLowerCase()] = value;
  return out;
}
