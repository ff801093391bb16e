import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ConfigError } from '../errors';

const DEFAULT_PORT = 9464;

export interface ProbeHandlers {
  /** Whether the daemon takes work: the store is open and the scheduler runs, and no shutdown began. */
  ready(): boolean;
  metrics(): Promise<{ contentType: string; body: string }>;
}

export interface ProbeServer {
  /** `host:port` actually bound (the port is chosen by the system for `:0`). */
  readonly address: string;
  close(): Promise<void>;
}

/** `host[:port]` or `[v6]:port` from `http.listen`. */
export function parseListen(listen: string): { host: string; port: number } {
  const m = /^\[([0-9a-fA-F:]+)\](?::(\d+))?$/.exec(listen) ?? /^([^\s:/]+)(?::(\d+))?$/.exec(listen);
  const port = m?.[2] === undefined ? DEFAULT_PORT : Number(m[2]);
  if (!m || port > 65535) throw new ConfigError(`cannot listen on ${JSON.stringify(listen)}: expected host[:port]`, { key: 'http.listen' });
  return { host: m[1]!, port };
}

/** `/healthz`, `/readyz` and `/metrics` for Kubernetes probes and Prometheus. */
export async function startProbeServer(listen: string, handlers: ProbeHandlers): Promise<ProbeServer> {
  const { host, port } = parseListen(listen);
  const server = http.createServer((req, res) => {
    void answer(req, res, handlers);
  });
  await new Promise<void>((resolve, reject) => {
    const failed = (e: Error) =>
      reject(new ConfigError(`cannot listen on ${listen}: ${e.message}`, { key: 'http.listen' }, { cause: e }));
    server.once('error', failed);
    server.listen(port, host, () => {
      server.off('error', failed);
      resolve();
    });
  });
  const bound = server.address() as AddressInfo;
  return {
    address: bound.family === 'IPv6' ? `[${bound.address}]:${bound.port}` : `${bound.address}:${bound.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Prometheus keeps its scrape connection open; without this close() waits for it.
        server.closeAllConnections();
      }),
  };
}

async function answer(req: http.IncomingMessage, res: http.ServerResponse, handlers: ProbeHandlers): Promise<void> {
  const path = (req.url ?? '/').split('?')[0];
  const send = (status: number, body: string, contentType = 'text/plain; charset=utf-8') => {
    res.writeHead(status, { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(body) });
    res.end(req.method === 'HEAD' ? undefined : body);
  };
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('Allow', 'GET, HEAD');
    return send(405, 'method not allowed\n');
  }
  switch (path) {
    case '/healthz':
      return send(200, 'ok\n');
    case '/readyz':
      return handlers.ready() ? send(200, 'ready\n') : send(503, 'not ready\n');
    case '/metrics':
      try {
        const { contentType, body } = await handlers.metrics();
        return send(200, body, contentType);
      } catch (e) {
        return send(500, `metrics could not be collected: ${(e as Error).message}\n`);
      }
    default:
      return send(404, 'not found\n');
  }
}
