import { readFile } from 'node:fs/promises';
import { ConfigError, isImagewardenError, RegistryError } from '../errors';
import { HttpClient, type RequestOptions } from '../http/http-client';
import type { HttpResponse } from '../http/response';
import { parseWwwAuthenticate, type AuthChallenge } from '../http/www-authenticate';
import { AnonymousAuth } from './auth/anonymous';
import { BearerTokenAuth } from './auth/bearer';
import { resolveCredentials } from './auth/credentials';
import { expandHome } from './auth/docker-config';
import { strategyForChallenges } from './auth/negotiate';
import { StaticTokenAuth } from './auth/static-token';
import type { AuthStrategy, Credentials } from './auth/strategy';
import { allowsPlainHttp, apiHost } from './host-config';
import { errorContext, statusError, type RequestTarget } from './registry-errors';
import type { RegistryHostConfig } from './types';

export interface RegistryClientOptions {
  /** Connect and idle timeout of each request. */
  timeoutMs?: number;
  /** Extra attempts after the first, for transport errors, 5xx and 429. */
  retries?: number;
  userAgent?: string;
  /** A shared HTTP layer (one per process keeps per-host limits global); one is made otherwise. */
  http?: HttpClient;
}

export interface SendOptions {
  /** Token scope the request needs, e.g. `repository:team/app:pull`. */
  scope?: string;
  target: RequestTarget;
  headers?: Record<string, string>;
}

/**
 * One registry host's connection state: which scheme answers, which auth strategy it asked
 * for, and the cached tokens. Every request goes through `send`, which negotiates on first
 * use and answers a 401 by re-authenticating once.
 */
export class RegistrySession {
  readonly registry: string;
  private readonly host: string;
  private readonly http: HttpClient;
  private readonly ownsHttp: boolean;
  private readonly requestOptions: RequestOptions;
  private base: URL | undefined;
  /** Whether /v2/ answered 401, and with which challenges. */
  private challenged = false;
  private challenges: AuthChallenge[] = [];
  /** Chosen on first use, so a failure to choose names the repository being fetched. */
  private strategy: AuthStrategy | undefined;
  private credentials: Credentials | undefined;
  private negotiation: Promise<void> | undefined;

  constructor(
    private readonly config: RegistryHostConfig,
    options: RegistryClientOptions = {},
  ) {
    this.registry = config.host;
    this.host = apiHost(config.host);
    this.ownsHttp = options.http === undefined;
    this.http =
      options.http ??
      new HttpClient({
        userAgent: options.userAgent,
        connectTimeoutMs: options.timeoutMs,
        idleTimeoutMs: options.timeoutMs,
        retries: options.retries,
      });
    this.requestOptions = options.http
      ? { retries: options.retries, connectTimeoutMs: options.timeoutMs, idleTimeoutMs: options.timeoutMs }
      : {};
  }

  /** Negotiates scheme and auth once; a failed negotiation is tried again on the next call. */
  private ready(): Promise<void> {
    this.negotiation ??= this.negotiate().catch((err: unknown) => {
      this.negotiation = undefined;
      throw err;
    });
    return this.negotiation;
  }

  /**
   * GET /v2/ as `docker login` does: picks the scheme, and when the registry asks for
   * credentials, proves the configured ones now so a typo is reported as such.
   */
  async ping(): Promise<void> {
    await this.ready();
    const target: RequestTarget = { registry: this.registry };
    const strategy = this.strategyFor(target);
    if (!this.challenged && !this.config.token) return;
    if (strategy instanceof BearerTokenAuth && !this.credentials) return; // anonymous tokens are per scope
    const check = await this.attempt(strategy, new URL('/v2/', this.base), undefined, { target });
    if (check.status !== 200) throw await statusError(check, target, 'the registry API (/v2/)');
    check.discard();
  }

  /** `path` is relative to the registry (`/v2/…`); a URL is used as is (pagination links). */
  async send(path: string | URL, options: SendOptions): Promise<HttpResponse> {
    try {
      return await this.authenticatedSend(path, options);
    } catch (err) {
      // Transport and config failures know the host, not which image was being fetched.
      throw isImagewardenError(err) ? err.withContext(errorContext(options.target)) : err;
    }
  }

  private async authenticatedSend(path: string | URL, options: SendOptions): Promise<HttpResponse> {
    await this.ready();
    const url = typeof path === 'string' ? new URL(path, this.base) : path;
    const strategy = this.strategyFor(options.target);
    const res = await this.attempt(strategy, url, options.scope, options);
    if (res.status !== 401 || strategy instanceof StaticTokenAuth) return res;
    // A token expired, or this resource needs a scope or scheme /v2/ did not ask for.
    const challenges = parseWwwAuthenticate(res.headerValues('www-authenticate'));
    res.discard();
    strategy.invalidate(options.scope);
    const fresh = strategyForChallenges(challenges, this.credentials, this.http, options.target);
    // Same token service: keep the strategy and the tokens it holds for other scopes.
    const next = sameTokenService(strategy, fresh) ? strategy : fresh;
    this.strategy = next;
    const challengeScope = challenges.find((c) => c.scheme === 'bearer')?.params.scope;
    return this.attempt(next, url, challengeScope ?? options.scope, options);
  }

  close(): void {
    if (this.ownsHttp) this.http.close();
  }

  private strategyFor(target: RequestTarget): AuthStrategy {
    this.strategy ??= this.config.token
      ? new StaticTokenAuth(this.config.token)
      : this.challenged
        ? strategyForChallenges(this.challenges, this.credentials, this.http, target)
        : new AnonymousAuth();
    return this.strategy;
  }

  private async attempt(strategy: AuthStrategy, url: URL, scope: string | undefined, options: SendOptions): Promise<HttpResponse> {
    const authorization = await strategy.authorization(scope, options.target);
    return this.http.request(url, { ...this.requestOptions, headers: { ...options.headers, authorization } });
  }

  private async negotiate(): Promise<void> {
    const plain = allowsPlainHttp(this.config);
    this.http.configureHost(this.host, {
      requestsPerSecond: this.config.requestsPerSecond,
      ca: this.config.caFile ? await readCa(this.config.caFile, this.registry) : undefined,
      rejectUnauthorized: !(plain || this.config.insecureSkipTLSVerify),
    });
    this.credentials = await resolveCredentials(this.config);
    const res = await this.probe(plain);
    if (res.status !== 200 && res.status !== 401) throw await statusError(res, { registry: this.registry }, 'the registry API (/v2/)');
    this.challenged = res.status === 401;
    this.challenges = parseWwwAuthenticate(res.headerValues('www-authenticate'));
    res.discard();
  }

  /** GET /v2/ over https, then over http when the host allows plain http (docker's insecure-registries). */
  private async probe(plain: boolean): Promise<HttpResponse> {
    if (!plain) return this.probeScheme('https', this.requestOptions.retries);
    try {
      // Against a plain-http registry the https guess fails at once: retrying it only delays the fallback.
      return await this.probeScheme('https', 0);
    } catch (err) {
      const transport = err instanceof RegistryError && (err.kind === 'registry-unreachable' || err.kind === 'registry-timeout');
      if (!transport) throw err;
      return this.probeScheme('http', this.requestOptions.retries);
    }
  }

  private async probeScheme(scheme: 'https' | 'http', retries: number | undefined): Promise<HttpResponse> {
    const base = new URL(`${scheme}://${this.host}`);
    const res = await this.http.request(new URL('/v2/', base), { ...this.requestOptions, retries });
    this.base = base;
    return res;
  }
}

function sameTokenService(current: AuthStrategy, fresh: AuthStrategy): boolean {
  return (
    current instanceof BearerTokenAuth &&
    fresh instanceof BearerTokenAuth &&
    current.challenge.realm === fresh.challenge.realm &&
    current.challenge.service === fresh.challenge.service
  );
}

async function readCa(path: string, registry: string): Promise<string> {
  const file = expandHome(path);
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read caFile ${file} for registry ${registry}: ${(err as Error).message}`, { file, registry }, { cause: err });
  }
}
