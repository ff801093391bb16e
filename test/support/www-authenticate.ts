/** One challenge of a `WWW-Authenticate` header: its scheme and its auth-params. */
export interface AuthChallenge {
  scheme: string;
  params: Record<string, string>;
}

/**
 * Parses the single challenge registries send (`Basic realm="…"` or
 * `Bearer realm="…",service="…",scope="…"`). Quoted values may contain commas, as scopes do.
 */
export function parseChallenge(header: string): AuthChallenge {
  const trimmed = header.trim();
  const space = trimmed.indexOf(' ');
  const scheme = (space < 0 ? trimmed : trimmed.slice(0, space)).toLowerCase();
  const params: Record<string, string> = {};
  const paramPattern = /([A-Za-z0-9_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))/g;
  for (const match of (space < 0 ? '' : trimmed.slice(space + 1)).matchAll(paramPattern)) {
    const key = match[1];
    if (key === undefined) continue;
    params[key.toLowerCase()] = match[2] !== undefined ? match[2].replace(/\\(.)/g, '$1') : (match[3] ?? '');
  }
  return { scheme, params };
}

/** Writes a challenge back, quoting every value. */
export function formatChallenge(challenge: AuthChallenge): string {
  const params = Object.entries(challenge.params).map(([k, v]) => `${k}="${v.replace(/(["\\])/g, '\\$1')}"`);
  const scheme = challenge.scheme.charAt(0).toUpperCase() + challenge.scheme.slice(1);
  return params.length ? `${scheme} ${params.join(',')}` : scheme;
}
