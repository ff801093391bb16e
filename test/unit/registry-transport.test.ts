import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../../src/errors';
import { apiHost, isLoopbackHost, registryHostFor } from '../../src/registry/host-config';
import { parseReference } from '../../src/registry/reference';
import { closedPort, failure, type Handler, router, sendJson, useServers } from './http-test-server';
import { useRegistryClients, fixture, fixturePath } from './registry-test-fixtures';

const TLS = { key: fixture('loopback-tls.key').toString(), cert: fixture('loopback-tls.crt').toString() };

describe('scheme negotiation and transport', () => {
  const clients = useRegistryClients();
  const ok: Handler = router({ 'GET /v2/': (_q, res) => sendJson(res, 200, {}) });
  const serve = useServers();

  it('falls back from https to plain http on a loopback registry, as docker does', async () => {
    const registry = await serve(ok);
    await clients.make({ host: registry.host }).ping();
    expect(registry.requests.map((r) => r.path)).toEqual(['/v2/']);
  });

  it('uses https only when a loopback registry is marked insecure: false', async () => {
    const registry = await serve(ok);
    const err = await failure(clients.make({ host: registry.host, insecure: false }).ping());
    expect(err.kind).toBe('registry-unreachable');
    expect(err.context.url).toBe(`https://${registry.host}/v2/`);
    expect(registry.requests).toHaveLength(0);
  });

  it('talks https to a self-signed loopback registry without verification by default', async () => {
    const registry = await serve(ok, TLS);
    await clients.make({ host: registry.host }).ping();
    expect(registry.requests).toHaveLength(1);
  });

  it('verifies certificates when insecure is off, trusting a configured caFile or skip-verify', async () => {
    const registry = await serve(ok, TLS);
    const untrusted = await failure(clients.make({ host: registry.host, insecure: false }).ping());
    expect(untrusted.kind).toBe('registry-unreachable');
    expect(untrusted.message).toContain(`TLS certificate of ${registry.host} is not trusted`);
    await clients.make({ host: registry.host, insecure: false, caFile: fixturePath('loopback-tls.crt') }).ping();
    await clients.make({ host: registry.host, insecure: false, insecureSkipTLSVerify: true }).ping();
    expect(registry.requests).toHaveLength(2);
  });

  it('reports an unreadable caFile as a config error naming the file', async () => {
    const registry = await serve(ok, TLS);
    const file = join(mkdtempSync(join(tmpdir(), 'imagewarden-ca-')), 'missing.pem');
    const ping = clients.make({ host: registry.host, caFile: file }).ping();
    await expect(ping).rejects.toBeInstanceOf(ConfigError);
    await expect(ping).rejects.toMatchObject({ context: { file, registry: registry.host } });
  });

  it('reports a closed port as registry-unreachable for the registry', async () => {
    const port = await closedPort();
    const err = await failure(clients.make({ host: `127.0.0.1:${port}` }).getManifest('team/app', '1.0'));
    expect(err.kind).toBe('registry-unreachable');
    expect(err.message).toContain('connection refused');
    expect(err.context).toMatchObject({ registry: `127.0.0.1:${port}`, image: `127.0.0.1:${port}/team/app:1.0`, url: `http://127.0.0.1:${port}/v2/` });
  });

  it('reports a server without the v2 API as registry-not-found', async () => {
    const registry = await serve((_q, res) => sendJson(res, 404, {}));
    const err = await failure(clients.make({ host: registry.host }).ping());
    expect(err.kind).toBe('registry-not-found');
    expect(err.message).toBe(`the registry API (/v2/) not found on ${registry.host} (404 Not Found)`);
  });

  it('reports persistent 5xx answers as registry-http with the status', async () => {
    const registry = await serve((_q, res) => sendJson(res, 502, {}));
    const err = await failure(clients.make({ host: registry.host }).ping());
    expect(err.kind).toBe('registry-http');
    expect(err.status).toBe(502);
    expect(err.message).toBe(`${registry.host} answered 502 Bad Gateway for the registry API (/v2/)`);
    expect(registry.requests).toHaveLength(2); // one retry in the test clients
  });

  it('sends requests per second no faster than configured for the host', async () => {
    const registry = await serve(ok);
    const client = clients.make({ host: registry.host, requestsPerSecond: 5 });
    const started = Date.now();
    await client.ping();
    // The https probe and then the http probe: the second waits a fifth of a second.
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
    expect(registry.requests).toHaveLength(1);
  });
});

describe('registry host configuration', () => {
  const configs = [
    { host: '127.0.0.1:5000', username: 'a', password: 'b' },
    { host: 'https://Quay.io/', token: 't' },
    { host: 'index.docker.io', dockerConfig: '~/.docker/config.json' },
  ];

  it('finds the config for a reference, matching docker.io aliases and ignoring scheme and case', () => {
    expect(registryHostFor(parseReference('127.0.0.1:5000/team/app'), configs)).toBe(configs[0]);
    expect(registryHostFor(parseReference('quay.io/org/app'), configs)).toBe(configs[1]);
    expect(registryHostFor(parseReference('alpine'), configs)).toBe(configs[2]);
  });

  it('falls back to defaults for an unknown registry', () => {
    expect(registryHostFor(parseReference('127.0.0.1:5001/team/app'), configs)).toEqual({ host: '127.0.0.1:5001' });
  });

  it('knows loopback hosts and where Docker Hub serves its API', () => {
    expect(['127.0.0.1:5000', '127.9.8.7', 'localhost:5000', '[::1]:5000'].every(isLoopbackHost)).toBe(true);
    expect(['10.0.0.1:5000', 'quay.io', '128.0.0.1'].some(isLoopbackHost)).toBe(false);
    expect(apiHost('docker.io')).toBe('registry-1.docker.io');
    expect(apiHost('quay.io')).toBe('quay.io');
  });
});
