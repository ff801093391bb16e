import { RegistryError, type ErrorContext } from '../errors';
import type { HttpResponse } from '../http/response';
import { displayUrl } from '../http/transport-errors';
import { parseWwwAuthenticate } from '../http/www-authenticate';

/** Who a request was for, so every failure names the registry and, when known, the repository/image. */
export interface RequestTarget {
  registry: string;
  repository?: string;
  image?: string;
}

export function errorContext(target: RequestTarget, url?: URL): ErrorContext {
  const context: ErrorContext = { registry: target.registry };
  if (target.image) context.image = target.image;
  if (url) context.url = displayUrl(url);
  return context;
}

function subject(target: RequestTarget): string {
  return target.repository ? `${target.registry} (repository ${target.repository})` : target.registry;
}

export function authFailure(target: RequestTarget, detail: string, url?: URL, status?: number): RegistryError {
  return new RegistryError('registry-auth', `authentication failed for ${subject(target)}: ${detail}`, {
    ...errorContext(target, url),
    status,
  });
}

const MAX_ERROR_BODY = 64 * 1024;

/** The distribution spec's `{"errors":[{"code","message"}]}` body, if that is what came back. */
async function distributionErrors(res: HttpResponse): Promise<{ codes: string[]; text: string }> {
  try {
    const body = await res.buffer(MAX_ERROR_BODY);
    const doc = JSON.parse(body.toString('utf8')) as { errors?: { code?: unknown; message?: unknown }[] };
    const errors = Array.isArray(doc.errors) ? doc.errors : [];
    const codes = errors.map((e) => String(e.code ?? ''));
    const text = errors.map((e) => [e.code, e.message].filter((x) => typeof x === 'string' && x).join(': ')).join('; ');
    return { codes, text };
  } catch {
    // Not the spec's JSON (an HTML proxy page, a cut-off body): the status line has to do.
    return { codes: [], text: '' };
  }
}

/**
 * The typed error for a non-success answer. `what` names the object asked for, e.g.
 * `manifest team/app:1.0`, and is what a 404 reports as missing unless the registry says
 * the whole repository is unknown.
 */
export async function statusError(res: HttpResponse, target: RequestTarget, what: string): Promise<RegistryError> {
  const { codes, text } = await distributionErrors(res);
  const statusLine = `${res.status} ${res.statusText}`.trim();
  const detail = text ? `${statusLine} ${text}` : statusLine;
  const context = { ...errorContext(target, res.url), status: res.status };
  switch (res.status) {
    case 401: {
      // A token without the needed access comes back as 401 error="insufficient_scope", not 403.
      const refusal = parseWwwAuthenticate(res.headerValues('www-authenticate')).find((c) => c.params.error)?.params.error;
      return authFailure(target, refusal ? `${detail} (${refusal})` : detail, res.url, res.status);
    }
    case 403:
      return new RegistryError('registry-denied', `access denied to ${what} on ${subject(target)}: ${detail}`, context);
    case 404: {
      const missing = codes.includes('NAME_UNKNOWN') && target.repository ? `repository ${target.repository}` : what;
      return new RegistryError('registry-not-found', `${missing} not found on ${target.registry} (${detail})`, context);
    }
    default:
      return new RegistryError('registry-http', `${target.registry} answered ${detail} for ${what}`, context);
  }
}
