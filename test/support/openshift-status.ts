/**
 * `Status` objects worded as the Kubernetes API server words them (apimachinery's
 * `errors.NewForbidden`, `NewNotFound`, `NewConflict`, `NewUnauthorized`), so the client code
 * under test parses the same bodies a cluster sends.
 */
export interface Status {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never>;
  status: 'Failure';
  message: string;
  reason: string;
  details?: { name?: string; group?: string; kind?: string };
  code: number;
}

export interface ResourceTarget {
  group: string;
  /** Plural resource name, e.g. `images`. */
  resource: string;
  name?: string;
  namespace?: string;
}

function qualified(t: ResourceTarget): string {
  return `${t.resource}.${t.group}`;
}

function details(t: ResourceTarget): Status['details'] {
  return { ...(t.name !== undefined && { name: t.name }), group: t.group, kind: t.resource };
}

function failure(code: number, reason: string, message: string, d?: Status['details']): Status {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, ...(d && { details: d }), code };
}

export function forbidden(user: string, verb: string, t: ResourceTarget): Status {
  const subject = t.name !== undefined ? `${qualified(t)} "${t.name}"` : qualified(t);
  const scope = t.namespace !== undefined ? `in the namespace "${t.namespace}"` : 'at the cluster scope';
  return failure(403, 'Forbidden', `${subject} is forbidden: User "${user}" cannot ${verb} resource "${t.resource}" in API group "${t.group}" ${scope}`, details(t));
}

export function notFound(t: ResourceTarget): Status {
  return failure(404, 'NotFound', `${qualified(t)} "${t.name ?? ''}" not found`, details(t));
}

export function conflict(t: ResourceTarget): Status {
  return failure(
    409,
    'Conflict',
    `Operation cannot be fulfilled on ${qualified(t)} "${t.name ?? ''}": the object has been modified; please apply your changes to the latest version and try again`,
    details(t),
  );
}

export function unauthorized(): Status {
  return failure(401, 'Unauthorized', 'Unauthorized');
}

export function unsupportedMediaType(contentType: string, accepted: readonly string[]): Status {
  return failure(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: ${accepted.join(', ')}`, {
    kind: contentType,
  });
}

export function badRequest(message: string): Status {
  return failure(400, 'BadRequest', message);
}

export function methodNotAllowed(): Status {
  return failure(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource');
}

/** A status a test injects (500, 503…): the generic shape the server uses for internal errors. */
export function injected(code: number, t: ResourceTarget): Status {
  if (code === 409) return conflict(t);
  if (code === 404) return notFound(t);
  return failure(code, code >= 500 ? 'InternalError' : 'BadRequest', `Internal error occurred: injected failure ${code} for ${qualified(t)}`, details(t));
}
