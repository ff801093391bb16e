import { pipeline } from 'node:stream/promises';
import { Writable } from 'node:stream';
import { HttpClient } from '../../src/http/http-client';
import { closedPort, failure, sendJson, useServers } from './http-test-server';

const fast = { retryTiming: { baseDelayMs: 5, maxDelayMs: 20 } };

describe('HttpClient', () => {
  const clients: HttpClient[] = [];
  const client = (options: ConstructorParameters<typeof HttpClient>[0] = {}): HttpClient => {
    const c = new HttpClient({ ...fast, ...options });
    clients.push(c);
    return c;
  };
  const serve = useServers();
  afterEach(() => {
    for (const c of clients.splice(0)) c.close();
  });

  it('waits the Retry-After seconds of a 429, then succeeds', async () => {
    let calls = 0;
    const server = await serve((_req, res) => {
      calls++;
      if (calls === 1) return sendJson(res, 429, { errors: [{ code: 'TOOMANYREQUESTS' }] }, { 'retry-after': '1' });
      sendJson(res, 200, { ok: true });
    });
    const started = Date.now();
    const res = await client({ retries: 2 }).request(`${server.url}/v2/`);
    expect(res.status).toBe(200);
    expect(JSON.parse((await res.buffer(1024)).toString())).toEqual({ ok: true });
    expect(calls).toBe(2);
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
  });

  it('honours a Retry-After HTTP date on 503', async () => {
    let calls = 0;
    const server = await serve((_req, res) => {
      calls++;
      if (calls === 1) return sendJson(res, 503, {}, { 'retry-after': new Date(Date.now() + 2000).toUTCString() });
      sendJson(res, 200, {});
    });
    const started = Date.now();
    const res = await client({ retries: 1 }).request(`${server.url}/x`);
    res.discard();
    expect(res.status).toBe(200);
    expect(calls).toBe(2);
    // HTTP dates have whole seconds: the wait is between one and two seconds.
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
  });

  it('caps a huge Retry-After', async () => {
    let calls = 0;
    const server = await serve((_req, res) => {
      calls++;
      sendJson(res, calls === 1 ? 503 : 200, {}, { 'retry-after': '3600' });
    });
    const started = Date.now();
    const res = await client({ retries: 1, retryTiming: { maxRetryAfterMs: 100 } }).request(`${server.url}/x`);
    res.discard();
    expect(res.status).toBe(200);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('gives up after the retry limit and hands back the last answer', async () => {
    const server = await serve((_req, res) => sendJson(res, 503, { errors: [{ code: 'UNAVAILABLE' }] }));
    const res = await client({ retries: 2 }).request(`${server.url}/v2/`);
    expect(res.status).toBe(503);
    res.discard();
    expect(server.requests).toHaveLength(3);
  });

  it('does not retry 4xx answers', async () => {
    const server = await serve((_req, res) => sendJson(res, 404, {}));
    const res = await client({ retries: 3 }).request(`${server.url}/v2/`);
    res.discard();
    expect(res.status).toBe(404);
    expect(server.requests).toHaveLength(1);
  });

  it('reports a port nobody listens on as registry-unreachable, after retrying', async () => {
    const port = await closedPort();
    const err = await failure(client({ retries: 2 }).request(`http://127.0.0.1:${port}/v2/`));
    expect(err.kind).toBe('registry-unreachable');
    expect(err.message).toContain('connection refused');
    expect(err.message).toContain('after 3 attempts');
    expect(err.context).toMatchObject({ registry: `127.0.0.1:${port}`, url: `http://127.0.0.1:${port}/v2/` });
  });

  it('reports a silent server as registry-timeout', async () => {
    const server = await serve(() => undefined);
    const err = await failure(client({ retries: 1, idleTimeoutMs: 150 }).request(`${server.url}/v2/`));
    expect(err.kind).toBe('registry-timeout');
    expect(err.message).toMatch(/no data for 150 ms.*after 2 attempts/);
    expect(server.requests).toHaveLength(2);
  });

  it('never retries once the body is being streamed: a connection lost mid-body errors the body', async () => {
    const server = await serve((_req, res) => {
      res.writeHead(200, { 'content-length': '100' });
      res.write(Buffer.alloc(40));
      setTimeout(() => res.socket?.destroy(), 20);
    });
    const res = await client({ retries: 3 }).request(`${server.url}/blob`);
    expect(res.status).toBe(200);
    const err = await failure(pipeline(res.body, new Writable({ write: (_c, _e, cb) => cb() })));
    expect(err.kind).toBe('registry-unreachable');
    expect(err.message).toContain('closed after 40 of 100 body bytes');
    expect(server.requests).toHaveLength(1);
  });

  it('keeps the error of a body that failed before anyone read it, without crashing', async () => {
    const server = await serve((_req, res) => {
      res.writeHead(200, { 'content-length': '100' });
      res.write(Buffer.alloc(10), () => res.socket?.destroy());
    });
    const res = await client().request(`${server.url}/blob`);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const err = await failure(res.buffer(1000));
    expect(err.message).toContain('closed after 10 of 100 body bytes');
  });

  it('times out a body that stalls', async () => {
    const server = await serve((_req, res) => {
      res.writeHead(200, { 'content-length': '10' });
      res.write('abc');
    });
    const res = await client({ idleTimeoutMs: 150 }).request(`${server.url}/blob`);
    const err = await failure(res.buffer(100));
    expect(err.kind).toBe('registry-timeout');
  });

  it('refuses bodies over the cap, by Content-Length or by counting', async () => {
    const server = await serve((req, res) => {
      if (req.url === '/declared') return sendJson(res, 200, { pad: 'x'.repeat(100) });
      res.writeHead(200); // chunked: no length up front
      res.end('y'.repeat(300));
    });
    const http = client();
    const declared = await failure((await http.request(`${server.url}/declared`)).buffer(50));
    expect(declared.kind).toBe('registry-http');
    expect(declared.message).toContain('larger than the 50-byte limit');
    const counted = await failure((await http.request(`${server.url}/chunked`)).buffer(200));
    expect(counted.message).toContain('larger than the 200-byte limit');
  });

  it('follows a redirect to another host without the Authorization header, and keeps it on the same host', async () => {
    const storage = await serve((_req, res) => res.end('layer-bytes'));
    const registry = await serve((req, res) => {
      if (req.url === '/v2/r/blobs/x') {
        res.writeHead(307, { location: `${storage.url}/signed/x?sig=secret` });
        return res.end();
      }
      if (req.url === '/v2') {
        res.writeHead(301, { location: '/v2/' });
        return res.end();
      }
      res.end('same-host');
    });
    const http = client();
    const blob = await http.request(`${registry.url}/v2/r/blobs/x`, { headers: { Authorization: 'Bearer t0k' } });
    expect((await blob.buffer(100)).toString()).toBe('layer-bytes');
    expect(blob.url.href).toBe(`${storage.url}/signed/x?sig=secret`);
    expect(registry.requests[0]?.headers.authorization).toBe('Bearer t0k');
    expect(storage.requests[0]?.headers.authorization).toBeUndefined();

    const same = await http.request(`${registry.url}/v2`, { headers: { Authorization: 'Bearer t0k' } });
    expect((await same.buffer(100)).toString()).toBe('same-host');
    expect(registry.requests.at(-1)?.headers.authorization).toBe('Bearer t0k');
  });

  it('stops after too many redirects', async () => {
    const server = await serve((req, res) => {
      res.writeHead(302, { location: `${req.url}x` });
      res.end();
    });
    const err = await failure(client({ maxRedirects: 3 }).request(`${server.url}/a`));
    expect(err.kind).toBe('registry-http');
    expect(err.message).toContain('more than 3 redirects');
    expect(server.requests).toHaveLength(4);
  });

  it('spaces requests to a host by its requests-per-second limit', async () => {
    const server = await serve((_req, res) => res.end('ok'));
    const http = client();
    http.configureHost(server.host, { requestsPerSecond: 10 });
    const started = Date.now();
    await Promise.all(
      Array.from({ length: 5 }, async () => {
        const res = await http.request(`${server.url}/`);
        await res.buffer(10);
      }),
    );
    // Five starts at 100 ms spacing: the last one waits at least 400 ms.
    expect(Date.now() - started).toBeGreaterThanOrEqual(380);
    expect(server.requests).toHaveLength(5);
  });

  it('refuses URLs that are not http or https', async () => {
    await expect(client().request('ftp://127.0.0.1/feed.json')).rejects.toMatchObject({ kind: 'config', context: { url: 'ftp://127.0.0.1/feed.json' } });
  });

  it('sends its User-Agent and reuses keep-alive connections', async () => {
    const ports = new Set<number>();
    const server = await serve((req, res) => {
      ports.add(req.socket.remotePort ?? 0);
      res.end('ok');
    });
    const http = client({ userAgent: 'imagewarden-test/1' });
    for (let i = 0; i < 3; i++) await (await http.request(`${server.url}/`)).buffer(10);
    expect(server.requests[0]?.headers['user-agent']).toBe('imagewarden-test/1');
    expect(ports.size).toBe(1);
  });
});
