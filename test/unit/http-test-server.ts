import { RegistryError } from '../../src/errors';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';

/** What a test server saw, for asserting on headers and request counts. */
export interface RecordedRequest {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
}

export type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => void;

export interface TestServer {
  /** `http://127.0.0.1:PORT` (or https). */
  url: string;
  /** `127.0.0.1:PORT`, the registry host of image references. */
  host: string;
  requests: RecordedRequest[];
  close(): Promise<void>;
}

/** An in-process server on 127.0.0.1 with a random port; the caller must close it. */
export async function startServer(handler: Handler, tls?: { key: string; cert: string }): Promise<TestServer> {
  const requests: RecordedRequest[] = [];
  const listener: Handler = (req, res) => {
    requests.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers });
    handler(req, res);
  };
  const server = tls ? https.createServer(tls, listener) : http.createServer(listener);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const host = `127.0.0.1:${port}`;
  return {
    url: `${tls ? 'https' : 'http'}://${host}`,
    host,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Dispatches on `METHOD path` (path without query); unknown routes answer 404 like a registry would. */
export function router(routes: Record<string, Handler>): Handler {
  return (req, res) => {
    const path = (req.url ?? '').split('?')[0];
    const route = routes[`${req.method} ${path}`];
    if (route) return route(req, res);
    sendJson(res, 404, { errors: [{ code: 'NOT_FOUND', message: `no route ${req.method} ${path}` }] });
  };
}

export function sendJson(res: http.ServerResponse, status: number, body: unknown, headers: http.OutgoingHttpHeaders = {}): void {
  const data = Buffer.from(JSON.stringify(body));
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': data.length, ...headers });
  res.end(data);
}

/** A port nothing listens on: bound, then released. */
export async function closedPort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** The RegistryError a promise rejects with; fails the test when it resolves or throws anything else. */
export async function failure(promise: Promise<unknown>): Promise<RegistryError> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(RegistryError);
    return err as RegistryError;
  }
  throw new Error('expected a rejection');
}

/** Servers started through `serve` in a describe block are closed after each of its tests. */
export function useServers(): (...args: Parameters<typeof startServer>) => Promise<TestServer> {
  const servers: TestServer[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.close()));
  });
  return async (...args) => {
    const s = await startServer(...args);
    servers.push(s);
    return s;
  };
}
