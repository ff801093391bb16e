import { parseListen, startProbeServer, type ProbeServer } from '../../src/daemon/http-server';
import { ConfigError } from '../../src/errors';

describe('http.listen', () => {
  test.each([
    ['127.0.0.1:9464', { host: '127.0.0.1', port: 9464 }],
    ['0.0.0.0', { host: '0.0.0.0', port: 9464 }],
    ['[::1]:8080', { host: '::1', port: 8080 }],
    ['127.0.0.1:0', { host: '127.0.0.1', port: 0 }],
  ])('%s', (listen, expected) => expect(parseListen(listen)).toEqual(expected));

  test('a port out of range is refused naming the key', () => {
    expect(() => parseListen('127.0.0.1:70000')).toThrow(ConfigError);
    expect(() => parseListen('127.0.0.1:70000')).toThrow('cannot listen on "127.0.0.1:70000"');
  });
});

describe('probe server', () => {
  let server: ProbeServer;
  let ready = false;
  let metricsFail = false;

  beforeAll(async () => {
    server = await startProbeServer('127.0.0.1:0', {
      ready: () => ready,
      metrics: async () => {
        if (metricsFail) throw new Error('database is closed');
        return { contentType: 'text/plain; version=0.0.4; charset=utf-8', body: 'imagewarden_up 1\n' };
      },
    });
  });
  afterAll(() => server.close());

  const get = (path: string, method = 'GET') => fetch(`http://${server.address}${path}`, { method });

  test('binds the port the system chose and names it', () => {
    expect(server.address).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(server.address).not.toBe('127.0.0.1:0');
  });

  test('/healthz answers 200 whatever the readiness', async () => {
    ready = false;
    expect((await get('/healthz')).status).toBe(200);
  });

  test('/readyz follows readiness', async () => {
    ready = false;
    expect((await get('/readyz')).status).toBe(503);
    ready = true;
    const res = await get('/readyz');
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('ready\n');
  });

  test('/metrics serves the exposition with its content type; a failure to collect is a 500', async () => {
    metricsFail = false;
    const res = await get('/metrics?x=1');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(await res.text()).toBe('imagewarden_up 1\n');
    metricsFail = true;
    const failed = await get('/metrics');
    expect(failed.status).toBe(500);
    expect(await failed.text()).toContain('database is closed');
  });

  test('unknown paths are 404, other methods 405', async () => {
    expect((await get('/')).status).toBe(404);
    expect((await get('/metricsx')).status).toBe(404);
    expect((await get('/healthz', 'POST')).status).toBe(405);
    expect((await get('/healthz', 'HEAD')).status).toBe(200);
  });

  test('a port already in use is a config error naming http.listen', async () => {
    await expect(startProbeServer(server.address, { ready: () => true, metrics: async () => ({ contentType: '', body: '' }) })).rejects.toMatchObject({
      kind: 'config',
      context: { key: 'http.listen' },
    });
  });
});
