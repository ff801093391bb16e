import { nextLink } from '../../src/http/link-header';
import { backoffDelay, DEFAULT_RETRY_TIMING, isRetryableStatus, retryAfterDelay } from '../../src/http/retry-policy';
import { parseWwwAuthenticate } from '../../src/http/www-authenticate';

describe('parseWwwAuthenticate', () => {
  it('parses a registry bearer challenge with a comma inside a quoted scope', () => {
    expect(
      parseWwwAuthenticate('Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:samalba/my-app:pull,push"'),
    ).toEqual([
      {
        scheme: 'bearer',
        params: { realm: 'https://auth.docker.io/token', service: 'registry.docker.io', scope: 'repository:samalba/my-app:pull,push' },
      },
    ]);
  });

  it('splits several challenges in one header and keeps parameter order independent of spacing', () => {
    const challenges = parseWwwAuthenticate('Basic realm="Registry Realm", Bearer realm="http://127.0.0.1:1/token" , service = "reg" ');
    expect(challenges).toEqual([
      { scheme: 'basic', params: { realm: 'Registry Realm' } },
      { scheme: 'bearer', params: { realm: 'http://127.0.0.1:1/token', service: 'reg' } },
    ]);
  });

  it('reads the RFC 7235 example with token values, quoted escapes and empty list items', () => {
    const challenges = parseWwwAuthenticate('Newauth realm="apps", type=1, title="Login to \\"apps\\"",, Basic realm="simple"');
    expect(challenges).toEqual([
      { scheme: 'newauth', params: { realm: 'apps', type: '1', title: 'Login to "apps"' } },
      { scheme: 'basic', params: { realm: 'simple' } },
    ]);
  });

  it('recognizes token68 credentials and header values sent twice', () => {
    expect(parseWwwAuthenticate(['Negotiate abc+/def==', 'BASIC REALM=x'])).toEqual([
      { scheme: 'negotiate', params: {}, token68: 'abc+/def==' },
      { scheme: 'basic', params: { realm: 'x' } },
    ]);
  });

  it('returns nothing for an absent or blank header', () => {
    expect(parseWwwAuthenticate(undefined)).toEqual([]);
    expect(parseWwwAuthenticate(' , ')).toEqual([]);
  });
});

describe('nextLink', () => {
  const base = new URL('http://127.0.0.1:5000/v2/_catalog?n=2');

  it('resolves a relative rel="next" target against the response URL', () => {
    expect(nextLink('</v2/_catalog?last=b&n=2>; rel="next"', base)?.href).toBe('http://127.0.0.1:5000/v2/_catalog?last=b&n=2');
  });

  it('picks next among several links and accepts unquoted and multi-valued rel', () => {
    const header = '<http://x/prev>; rel="prev", <http://127.0.0.1:5000/v2/_catalog?last=d,e>; rel="last next"';
    expect(nextLink(header, base)?.href).toBe('http://127.0.0.1:5000/v2/_catalog?last=d,e');
    expect(nextLink('</page2>; rel=next', base)?.href).toBe('http://127.0.0.1:5000/page2');
  });

  it('returns undefined without a next link', () => {
    expect(nextLink(undefined, base)).toBeUndefined();
    expect(nextLink('</v2/_catalog?last=a>; rel="prev"', base)).toBeUndefined();
  });
});

describe('retry policy', () => {
  const timing = { ...DEFAULT_RETRY_TIMING, maxRetryAfterMs: 30_000 };

  it('reads Retry-After as seconds or as an HTTP date, capped', () => {
    const now = Date.parse('Wed, 21 Oct 2015 07:28:00 GMT');
    expect(retryAfterDelay('2', timing, now)).toBe(2000);
    expect(retryAfterDelay('Wed, 21 Oct 2015 07:28:05 GMT', timing, now)).toBe(5000);
    expect(retryAfterDelay('Wed, 21 Oct 2015 07:27:00 GMT', timing, now)).toBe(0);
    expect(retryAfterDelay('86400', timing, now)).toBe(30_000);
    expect(retryAfterDelay('soon', timing, now)).toBeUndefined();
    expect(retryAfterDelay(undefined, timing, now)).toBeUndefined();
  });

  it('backs off exponentially with jitter between half and all of each step, up to the ceiling', () => {
    const t = { baseDelayMs: 100, maxDelayMs: 1000, maxRetryAfterMs: 0 };
    expect(backoffDelay(0, t, () => 0)).toBe(50);
    expect(backoffDelay(0, t, () => 1)).toBe(100);
    expect(backoffDelay(2, t, () => 1)).toBe(400);
    expect(backoffDelay(10, t, () => 1)).toBe(1000);
  });

  it('retries 429 and 5xx but not client errors or 501', () => {
    expect([429, 500, 502, 503, 504].every(isRetryableStatus)).toBe(true);
    expect([400, 401, 403, 404, 501].some(isRetryableStatus)).toBe(false);
  });
});
