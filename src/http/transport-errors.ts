import { RegistryError } from '../errors';
import { isTransientCode } from './retry-policy';

/** Query strings of redirected blob URLs carry storage signatures: never put them in messages. */
export function displayUrl(url: URL): string {
  return `${url.origin}${url.pathname}`;
}

/** Marks a deadline this layer enforced itself, so it is reported as a timeout and not as a reset. */
export class DeadlineExceeded extends Error {
  constructor(readonly phase: 'connect' | 'idle', readonly ms: number) {
    super(phase === 'connect' ? `no connection within ${ms} ms` : `no data for ${ms} ms`);
  }
}

function codeOf(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

const CERTIFICATE_CODES = /^(CERT_|UNABLE_TO_|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|ERR_TLS_CERT_ALTNAME_INVALID)/;

export function isCertificateError(err: unknown): boolean {
  return CERTIFICATE_CODES.test(codeOf(err) ?? '');
}

/** Whether a request that failed this way, before any response, may be sent again. */
export function isRetryableTransportError(err: unknown): boolean {
  return err instanceof DeadlineExceeded || isTransientCode(codeOf(err));
}

/** Wraps a socket/TLS/DNS failure in the typed error callers branch on. */
export function transportError(err: unknown, url: URL, attempts = 1): RegistryError {
  const context = { registry: url.host, url: displayUrl(url) };
  const tries = attempts > 1 ? ` (after ${attempts} attempts)` : '';
  const options = { cause: err };
  if (err instanceof RegistryError) return err;
  if (err instanceof DeadlineExceeded || codeOf(err) === 'ETIMEDOUT') {
    return new RegistryError('registry-timeout', `timed out talking to ${url.host}: ${(err as Error).message}${tries}`, context, options);
  }
  const message = err instanceof Error ? err.message : String(err);
  if (isCertificateError(err)) {
    return new RegistryError(
      'registry-unreachable',
      `TLS certificate of ${url.host} is not trusted (${message}); configure caFile or insecureSkipTLSVerify for this host`,
      context,
      options,
    );
  }
  const code = codeOf(err);
  const why =
    code === 'ECONNREFUSED'
      ? 'connection refused'
      : code === 'ENOTFOUND' || code === 'EAI_AGAIN'
        ? 'host name does not resolve'
        : message;
  return new RegistryError('registry-unreachable', `cannot reach ${url.host} (${displayUrl(url)}): ${why}${tries}`, context, options);
}
