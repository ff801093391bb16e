/** A way the fault proxy damages one answer. */
export type Fault =
  /** Announce the full Content-Length, send `afterBytes` bytes, then drop the connection. */
  | { type: 'truncate'; afterBytes: number }
  /** Send only the first `bytes` bytes with a Content-Length that matches them: a clean but short answer. */
  | { type: 'short-body'; bytes: number }
  /** XOR 0xff into the body at the given offsets (default: the middle byte), keeping its length. */
  | { type: 'flip-bytes'; offsets?: number[] }
  /** Replace the Content-Type header, e.g. with a media type no client knows. */
  | { type: 'content-type'; contentType: string }
  /** Answer with this status instead of the registry's answer. */
  | { type: 'status'; status: number; retryAfter?: number | string; headers?: Record<string, string>; body?: string };

export interface FaultRule {
  /** Matches the digest the request path names, or the Docker-Content-Digest of the registry's answer. */
  digest?: string;
  /** Matches the request path (query excluded): equal to a string, or tested by a RegExp. */
  path?: string | RegExp;
  /** Matches the request method; any method when left out. */
  method?: string;
  /** Damage only the first N matching answers, then let the rest through (retry tests). */
  times?: number;
  fault: Fault;
}

/** Whether `rule` applies to a request; a rule with neither digest nor path matches every request. */
export function ruleMatches(
  rule: FaultRule,
  request: { method: string; pathname: string; pathDigest?: string; answerDigest?: string },
): boolean {
  if (rule.method !== undefined && rule.method.toUpperCase() !== request.method) return false;
  if (rule.digest !== undefined && rule.digest !== request.pathDigest && rule.digest !== request.answerDigest) return false;
  if (typeof rule.path === 'string' && rule.path !== request.pathname) return false;
  if (rule.path instanceof RegExp && !rule.path.test(request.pathname)) return false;
  return true;
}

export function flipBytes(body: Buffer, offsets: readonly number[] | undefined): Buffer {
  const copy = Buffer.from(body);
  for (const offset of offsets ?? [Math.floor(copy.length / 2)]) {
    if (offset < 0 || offset >= copy.length) throw new Error(`flip offset ${offset} outside a ${copy.length}-byte body`);
    copy[offset] = (copy[offset] as number) ^ 0xff;
  }
  return copy;
}
