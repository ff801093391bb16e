import { RegistryError } from '../../errors';
import type { HttpClient } from '../../http/http-client';
import { authFailure, errorContext, statusError, type RequestTarget } from '../registry-errors';
import { basicHeader } from './basic';
import type { AuthStrategy, Credentials } from './strategy';

export interface BearerChallenge {
  realm: string;
  service?: string;
}

interface CachedToken {
  value: string;
  expiresAt: number;
}

/** The distribution token spec's lifetime when a token service omits `expires_in`. */
const DEFAULT_TOKEN_SECONDS = 60;
/** Renew a little before expiry (at most 5 s, at most a tenth of the lifetime), so a token does not run out between check and use. */
const MAX_EXPIRY_MARGIN_MS = 5_000;
const MAX_TOKEN_RESPONSE = 1024 * 1024;

/**
 * `Bearer realm=…,service=…` challenge: asks the token service for a token per scope, with
 * basic credentials when configured (anonymous pull tokens otherwise), and caches each token
 * until its `expires_in`.
 */
export class BearerTokenAuth implements AuthStrategy {
  readonly name = 'bearer';
  private readonly cache = new Map<string, CachedToken>();
  private readonly pending = new Map<string, Promise<CachedToken>>();

  constructor(
    private readonly http: HttpClient,
    readonly challenge: BearerChallenge,
    private readonly credentials: Credentials | undefined,
    private readonly now: () => number = Date.now,
  ) {}

  async authorization(scope: string | undefined, target: RequestTarget): Promise<string> {
    const key = scope ?? '';
    const cached = this.cache.get(key);
    if (cached && cached.expiresAt > this.now()) return `Bearer ${cached.value}`;
    let request = this.pending.get(key);
    if (!request) {
      request = this.fetchToken(scope, target).finally(() => this.pending.delete(key));
      this.pending.set(key, request);
    }
    const token = await request;
    this.cache.set(key, token);
    return `Bearer ${token.value}`;
  }

  invalidate(scope: string | undefined): void {
    this.cache.delete(scope ?? '');
  }

  private async fetchToken(scope: string | undefined, target: RequestTarget): Promise<CachedToken> {
    let url: URL;
    try {
      url = new URL(this.challenge.realm);
    } catch {
      throw authFailure(target, `the registry's token realm "${this.challenge.realm}" is not a URL`);
    }
    if (this.challenge.service) url.searchParams.set('service', this.challenge.service);
    for (const s of (scope ?? '').split(' ').filter(Boolean)) url.searchParams.append('scope', s);
    if (this.credentials) url.searchParams.set('account', this.credentials.username);
    const headers = { accept: 'application/json', authorization: this.credentials ? basicHeader(this.credentials) : undefined };
    const issuedAt = this.now();
    const res = await this.http.request(url, { headers });
    if (res.status === 401 || res.status === 403) {
      res.discard();
      throw authFailure(target, `token service ${url.origin}${url.pathname} answered ${res.status} ${res.statusText}`.trim(), url, res.status);
    }
    if (res.status !== 200) {
      throw await statusError(res, target, `a token from ${url.origin}${url.pathname}`);
    }
    const body = await res.buffer(MAX_TOKEN_RESPONSE);
    let doc: { token?: unknown; access_token?: unknown; expires_in?: unknown };
    try {
      doc = JSON.parse(body.toString('utf8')) as typeof doc;
    } catch (err) {
      throw new RegistryError('registry-auth', `token service ${url.origin}${url.pathname} answered with invalid JSON`, errorContext(target, url), {
        cause: err,
      });
    }
    const value = typeof doc.token === 'string' && doc.token ? doc.token : doc.access_token;
    if (typeof value !== 'string' || !value) {
      throw new RegistryError('registry-auth', `token service ${url.origin}${url.pathname} answered without a token`, errorContext(target, url));
    }
    const seconds = typeof doc.expires_in === 'number' && doc.expires_in > 0 ? doc.expires_in : DEFAULT_TOKEN_SECONDS;
    const lifetimeMs = seconds * 1000;
    return { value, expiresAt: issuedAt + lifetimeMs - Math.min(MAX_EXPIRY_MARGIN_MS, lifetimeMs / 10) };
  }
}
