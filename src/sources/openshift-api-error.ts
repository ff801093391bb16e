import { ApiException } from '@kubernetes/client-node';
import { OpenShiftError, type ErrorContext } from '../errors';

interface StatusBody {
  kind?: string;
  message?: string;
  reason?: string;
  code?: number;
}

/**
 * Wraps what the Kubernetes client threw into an OpenShiftError carrying the HTTP status, the
 * Status object's reason and its message (the API's own words: "… is forbidden: User … cannot
 * list resource …"). `doing` says what was attempted, e.g. `listing image streams in team-a`.
 */
export function openShiftErrorFrom(e: unknown, doing: string, context: ErrorContext & { namespace?: string } = {}): OpenShiftError {
  if (e instanceof OpenShiftError) return e;
  if (e instanceof ApiException) {
    const status = parseStatus(e.body);
    const detail = status?.message ?? (e.code === 401 ? 'Unauthorized: the token was refused' : `HTTP ${e.code}`);
    return new OpenShiftError(`${doing}: ${detail}`, { ...context, status: e.code, reason: status?.reason }, { cause: e });
  }
  return new OpenShiftError(`${doing}: ${(e as Error)?.message ?? String(e)}`, context, { cause: e });
}

function parseStatus(body: unknown): StatusBody | undefined {
  let value = body;
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value);
    } catch {
      return undefined;
    }
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const s = value as StatusBody;
  return s.kind === 'Status' ? s : undefined;
}
