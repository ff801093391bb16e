import {
  createServer,
  request as httpRequest,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type OutgoingHttpHeaders,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Fault, type FaultRule, flipBytes, ruleMatches } from './faults';
import { classifyRequest, digestInPath, type RequestKind } from './request-kind';
import { formatChallenge, parseChallenge } from './www-authenticate';

export type { Fault, FaultRule } from './faults';

export type ProxyCounts = Record<RequestKind, number> & {
  /** Body bytes sent to clients for blob GETs (after any fault cut them short). */
  blobBytes: number;
  blobGetsByDigest: Record<string, number>;
};

export interface FaultProxy {
  host: string;
  url: string;
  counts(): ProxyCounts;
  reset(): void;
  /** Replaces the fault rules (and their `times` budgets). */
  setFaults(rules: readonly FaultRule[]): void;
  stop(): Promise<void>;
}

export interface ProxyOptions {
  faults?: readonly FaultRule[];
}

const HOP_BY_HOP = ['connection', 'keep-alive', 'transfer-encoding', 'proxy-connection', 'upgrade'];

function emptyCounts(): ProxyCounts {
  return { manifestGet: 0, manifestHead: 0, blobGet: 0, blobHead: 0, token: 0, other: 0, blobBytes: 0, blobGetsByDigest: {} };
}

function forwardableHeaders(headers: IncomingHttpHeaders): OutgoingHttpHeaders {
  const copy: OutgoingHttpHeaders = { ...headers };
  for (const name of HOP_BY_HOP) delete copy[name];
  return copy;
}

function readAll(stream: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.once('end', () => resolve(Buffer.concat(chunks)));
    stream.once('error', reject);
  });
}

const BODY_FAULTS: ReadonlySet<Fault['type']> = new Set(['truncate', 'short-body', 'flip-bytes']);

/**
 * A reverse proxy on 127.0.0.1 in front of a registry. It counts requests by kind and blob bytes
 * served, and damages chosen answers (cut, shortened, flipped, mistyped, or replaced by an error
 * status) so tests can prove how a client reacts. Redirects and bearer realms are rewritten to
 * point back at the proxy, so uploads and token requests also pass through it.
 */
export function startProxy(target: string | { url: string }, options: ProxyOptions = {}): Promise<FaultProxy> {
  const targetUrl = new URL(typeof target === 'string' ? target : target.url);
  let rules: Array<{ rule: FaultRule; remaining: number }> = [];
  const setFaults = (next: readonly FaultRule[]): void => {
    rules = next.map((rule) => ({ rule, remaining: rule.times ?? Number.POSITIVE_INFINITY }));
  };
  setFaults(options.faults ?? []);
  let counts = emptyCounts();
  /** Token endpoints learnt from Bearer challenges: proxy path → the real realm's origin. */
  const tokenRoutes = new Map<string, string>();
  let proxyOrigin = '';

  /** The first rule that matches and can act on this answer; its budget is spent only then. */
  const takeFault = (request: Parameters<typeof ruleMatches>[1], bodyFaultsApply: boolean): Fault | undefined => {
    const match = rules.find(
      (r) => r.remaining > 0 && (bodyFaultsApply || !BODY_FAULTS.has(r.rule.fault.type)) && ruleMatches(r.rule, request),
    );
    if (!match) return undefined;
    match.remaining -= 1;
    return match.rule.fault;
  };

  const rewriteHeaders = (headers: IncomingHttpHeaders): OutgoingHttpHeaders => {
    const out = forwardableHeaders(headers);
    const location = headers.location;
    if (location?.startsWith(targetUrl.origin)) out.location = proxyOrigin + location.slice(targetUrl.origin.length);
    const challenge = headers['www-authenticate'];
    if (challenge) {
      const parsed = parseChallenge(challenge);
      if (parsed.scheme === 'bearer' && parsed.params.realm) {
        const realm = new URL(parsed.params.realm);
        tokenRoutes.set(realm.pathname, realm.origin);
        parsed.params.realm = `${proxyOrigin}${realm.pathname}`;
        out['www-authenticate'] = formatChallenge(parsed);
      }
    }
    return out;
  };

  const sendFaulted = async (
    fault: Fault,
    upstream: IncomingMessage,
    headers: OutgoingHttpHeaders,
    res: ServerResponse,
    countBytes: (n: number) => void,
  ): Promise<void> => {
    if (fault.type === 'status') {
      upstream.resume();
      const body = Buffer.from(
        fault.body ?? JSON.stringify({ errors: [{ code: 'INJECTED_FAULT', message: `injected HTTP ${fault.status}` }] }),
      );
      res.writeHead(fault.status, {
        'Content-Type': 'application/json',
        'Content-Length': body.length,
        ...(fault.retryAfter !== undefined ? { 'Retry-After': String(fault.retryAfter) } : {}),
        ...fault.headers,
      });
      res.end(body);
      return;
    }
    if (fault.type === 'content-type') {
      res.writeHead(upstream.statusCode ?? 502, { ...headers, 'content-type': fault.contentType });
      upstream.pipe(res);
      return;
    }
    const body = await readAll(upstream);
    if (fault.type === 'flip-bytes') {
      const flipped = flipBytes(body, fault.offsets);
      res.writeHead(upstream.statusCode ?? 502, { ...headers, 'content-length': flipped.length });
      countBytes(flipped.length);
      res.end(flipped);
    } else if (fault.type === 'short-body') {
      const short = body.subarray(0, Math.min(fault.bytes, body.length));
      res.writeHead(upstream.statusCode ?? 502, { ...headers, 'content-length': short.length });
      countBytes(short.length);
      res.end(short);
    } else {
      const head = body.subarray(0, Math.min(fault.afterBytes, body.length));
      res.writeHead(upstream.statusCode ?? 502, { ...headers, 'content-length': body.length });
      countBytes(head.length);
      // Destroying the socket once the partial body is flushed leaves the announced length unmet.
      res.write(head, () => res.socket?.destroy());
    }
  };

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const method = req.method ?? 'GET';
    const url = new URL(req.url ?? '/', proxyOrigin);
    const tokenOrigin = url.pathname.startsWith('/v2/') ? undefined : tokenRoutes.get(url.pathname);
    const kind = classifyRequest(method, url.pathname, tokenOrigin !== undefined);
    counts[kind] += 1;
    const pathDigest = digestInPath(url.pathname);
    if (kind === 'blobGet' && pathDigest) {
      counts.blobGetsByDigest[pathDigest] = (counts.blobGetsByDigest[pathDigest] ?? 0) + 1;
    }
    const countBytes = (n: number): void => {
      if (kind === 'blobGet') counts.blobBytes += n;
    };

    const destination = new URL(url.pathname + url.search, tokenOrigin ?? targetUrl.origin);
    const upstreamRequest = httpRequest(
      destination,
      { method, headers: { ...forwardableHeaders(req.headers), host: destination.host } },
      (upstream) => {
        const headers = rewriteHeaders(upstream.headers);
        const answerDigest = upstream.headers['docker-content-digest'];
        const fault = takeFault(
          {
            method,
            pathname: url.pathname,
            pathDigest,
            answerDigest: typeof answerDigest === 'string' ? answerDigest : undefined,
          },
          method === 'GET' && (upstream.statusCode ?? 500) < 300,
        );
        if (fault) {
          sendFaulted(fault, upstream, headers, res, countBytes).catch((e: unknown) => res.destroy(e as Error));
          return;
        }
        res.writeHead(upstream.statusCode ?? 502, headers);
        upstream.on('data', (chunk: Buffer) => countBytes(chunk.length));
        upstream.pipe(res);
      },
    );
    upstreamRequest.once('error', (e) => {
      if (res.headersSent) {
        res.destroy(e);
        return;
      }
      const body = Buffer.from(JSON.stringify({ errors: [{ code: 'PROXY_UPSTREAM', message: e.message }] }));
      res.writeHead(502, { 'Content-Type': 'application/json', 'Content-Length': body.length });
      res.end(body);
    });
    req.pipe(upstreamRequest);
  };

  const server = createServer(handle);
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      proxyOrigin = `http://127.0.0.1:${port}`;
      resolve({
        host: `127.0.0.1:${port}`,
        url: proxyOrigin,
        counts: () => ({ ...counts, blobGetsByDigest: { ...counts.blobGetsByDigest } }),
        reset: () => {
          counts = emptyCounts();
        },
        setFaults,
        stop: () =>
          new Promise<void>((done) => {
            server.closeAllConnections();
            server.close(() => done());
          }),
      });
    });
  });
}
