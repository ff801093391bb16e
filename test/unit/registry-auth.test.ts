import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ConfigError } from '../../src/errors';
import { DOCKER_MANIFEST } from '../../src/registry/media-types';
import { failure, sendJson, type TestServer, useServers } from './http-test-server';
import { ALPINE, basicHeader, useRegistryClients, sendManifest } from './registry-test-fixtures';

const UNAUTHORIZED = { errors: [{ code: 'UNAUTHORIZED', message: 'authentication required' }] };

describe('registry authentication', () => {
  const clients = useRegistryClients();
  const serve = useServers();

  describe('bearer token flow', () => {
    interface TokenService {
      server: TestServer;
      scopes: string[];
    }

    /** A token service issuing `tok:<scope>`; with `user` set it demands those basic credentials. */
    async function tokenService(answer: (scope: string) => object, user?: [string, string]): Promise<TokenService> {
      const scopes: string[] = [];
      const server = await serve((req, res) => {
        const url = new URL(req.url ?? '', 'http://x');
        if (user && req.headers.authorization !== basicHeader(...user)) return sendJson(res, 401, UNAUTHORIZED);
        const scope = url.searchParams.getAll('scope').join(' ');
        scopes.push(scope);
        sendJson(res, 200, answer(scope));
      });
      return { server, scopes };
    }

    /** A registry accepting `Bearer tok:<scope>`, challenging with the scope each resource needs. */
    async function bearerRegistry(tokens: TokenService, reject: (auth: string | undefined) => boolean = () => false): Promise<TestServer> {
      return serve((req, res) => {
        const auth = req.headers.authorization;
        // As distribution does, a presented token that lacks access is answered with insufficient_scope.
        const challenge = (scope?: string): string =>
          `Bearer realm="${tokens.server.url}/token",service="test-registry"${scope ? `,scope="${scope}"` : ''}${auth ? ',error="insufficient_scope"' : ''}`;
        if (req.url === '/v2/') {
          if (auth?.startsWith('Bearer tok:') && !reject(auth)) return sendJson(res, 200, {});
          return sendJson(res, 401, UNAUTHORIZED, { 'www-authenticate': challenge() });
        }
        if (req.url === '/v2/team/app/manifests/3.14') {
          const scope = 'repository:team/app:pull';
          if (auth === `Bearer tok:${scope}` && !reject(auth)) return sendManifest(res, ALPINE.manifest, DOCKER_MANIFEST);
          return sendJson(res, 401, UNAUTHORIZED, { 'www-authenticate': challenge(scope) });
        }
        sendJson(res, 404, {});
      });
    }

    it('pings with a scope-less token, then fetches and caches a token per scope', async () => {
      const tokens = await tokenService((scope) => ({ token: `tok:${scope}`, expires_in: 300 }), ['alice', 's3cret']);
      const registry = await bearerRegistry(tokens);
      const client = clients.make({ host: registry.host, username: 'alice', password: 's3cret' });

      await client.ping();
      expect(tokens.scopes).toEqual(['']);
      const tokenRequest = new URL(tokens.server.requests[0]?.path ?? '', 'http://x');
      expect(tokenRequest.searchParams.get('service')).toBe('test-registry');
      expect(tokenRequest.searchParams.get('account')).toBe('alice');

      const first = await client.getManifest('team/app', '3.14');
      const second = await client.getManifest('team/app', '3.14');
      expect(first.digest).toBe(ALPINE.manifestDigest);
      expect(second.body.equals(ALPINE.manifest)).toBe(true);
      expect(tokens.scopes).toEqual(['', 'repository:team/app:pull']);
      const manifestAuth = registry.requests.filter((r) => r.path.includes('/manifests/')).map((r) => r.headers.authorization);
      expect(manifestAuth).toEqual(['Bearer tok:repository:team/app:pull', 'Bearer tok:repository:team/app:pull']);
    });

    it('fetches anonymous tokens without credentials and accepts access_token', async () => {
      const tokens = await tokenService((scope) => ({ access_token: `tok:${scope}` }));
      const registry = await bearerRegistry(tokens);
      const client = clients.make({ host: registry.host });
      await client.ping();
      expect(tokens.scopes).toEqual([]);
      expect((await client.getManifest('team/app', '3.14')).digest).toBe(ALPINE.manifestDigest);
      expect(tokens.server.requests).toHaveLength(1);
      expect(tokens.server.requests[0]?.headers.authorization).toBeUndefined();
      expect(tokens.server.requests[0]?.path).not.toContain('account=');
    });

    it('fetches a new token once the cached one has expired', async () => {
      const tokens = await tokenService((scope) => ({ token: `tok:${scope}`, expires_in: 1 }));
      const registry = await bearerRegistry(tokens);
      const client = clients.make({ host: registry.host });
      await client.getManifest('team/app', '3.14');
      await client.getManifest('team/app', '3.14');
      expect(tokens.scopes).toHaveLength(1);
      await sleep(1100);
      await client.getManifest('team/app', '3.14');
      expect(tokens.scopes).toHaveLength(2);
    });

    it('re-authenticates only once: a registry that keeps refusing tokens yields registry-auth', async () => {
      const tokens = await tokenService((scope) => ({ token: `tok:${scope}`, expires_in: 300 }));
      const registry = await bearerRegistry(tokens, () => true);
      const err = await failure(clients.make({ host: registry.host }).getManifest('team/app', '3.14'));
      expect(err.kind).toBe('registry-auth');
      expect(err.message).toBe(
        `authentication failed for ${registry.host} (repository team/app): 401 Unauthorized UNAUTHORIZED: authentication required (insufficient_scope)`,
      );
      expect(tokens.scopes).toEqual(['repository:team/app:pull', 'repository:team/app:pull']);
      expect(registry.requests.filter((r) => r.path.includes('/manifests/'))).toHaveLength(2);
    });

    it('reports refused credentials at the token service as registry-auth naming registry and repository', async () => {
      const tokens = await tokenService((scope) => ({ token: `tok:${scope}` }), ['alice', 's3cret']);
      const registry = await bearerRegistry(tokens);
      const client = clients.make({ host: registry.host, username: 'alice', password: 'wrong' });
      const err = await failure(client.getManifest('team/app', '3.14'));
      expect(err.kind).toBe('registry-auth');
      expect(err.message).toBe(
        `authentication failed for ${registry.host} (repository team/app): token service ${tokens.server.url}/token answered 401 Unauthorized`,
      );
      expect(err.context).toMatchObject({ registry: registry.host, image: `${registry.host}/team/app:3.14` });
      const pingErr = await failure(client.ping());
      expect(pingErr.kind).toBe('registry-auth');
      expect(pingErr.message).toContain(`authentication failed for ${registry.host}: token service`);
    });
  });

  it('re-authenticates with a fresh token after a revoked one and succeeds', async () => {
    let issued = 0;
    const tokens = await serve((req, res) => {
      const scope = new URL(req.url ?? '', 'http://x').searchParams.get('scope') ?? '';
      sendJson(res, 200, { token: `${scope}#${++issued}`, expires_in: 300 });
    });
    const challenge = `Bearer realm="${tokens.url}/token",service="s",scope="repository:team/app:pull"`;
    const registry = await serve((req, res) => {
      const auth = req.headers.authorization ?? '';
      // Token #1 counts as revoked: the registry wants a newer one.
      if (req.url === '/v2/team/app/manifests/3.14' && auth.startsWith('Bearer repository:team/app:pull#') && !auth.endsWith('#1')) {
        return sendManifest(res, ALPINE.manifest, DOCKER_MANIFEST);
      }
      sendJson(res, 401, UNAUTHORIZED, { 'www-authenticate': challenge });
    });
    const client = clients.make({ host: registry.host });
    expect((await client.getManifest('team/app', '3.14')).digest).toBe(ALPINE.manifestDigest);
    expect(issued).toBe(2);
  });

  describe('basic flow', () => {
    function basicRegistry(user: string, password: string): Promise<TestServer> {
      return serve((req, res) => {
        if (req.headers.authorization !== basicHeader(user, password)) {
          return sendJson(res, 401, UNAUTHORIZED, { 'www-authenticate': 'Basic realm="Registry Realm"' });
        }
        if (req.url === '/v2/') return sendJson(res, 200, {});
        if (req.url === '/v2/team/app/manifests/3.14') return sendManifest(res, ALPINE.manifest, DOCKER_MANIFEST);
        sendJson(res, 404, {});
      });
    }

    it('answers a Basic challenge with the configured credentials', async () => {
      const registry = await basicRegistry('bob', 'pw');
      const client = clients.make({ host: registry.host, username: 'bob', password: 'pw' });
      await client.ping();
      expect((await client.getManifest('team/app', '3.14')).digest).toBe(ALPINE.manifestDigest);
      expect(registry.requests.map((r) => r.headers.authorization)).toEqual([undefined, basicHeader('bob', 'pw'), basicHeader('bob', 'pw')]);
    });

    it('reports a wrong password as registry-auth (401), from ping and from a manifest fetch', async () => {
      const registry = await basicRegistry('bob', 'pw');
      const client = clients.make({ host: registry.host, username: 'bob', password: 'nope' });
      const pingErr = await failure(client.ping());
      expect(pingErr.kind).toBe('registry-auth');
      expect(pingErr.status).toBe(401);
      expect(pingErr.message).toBe(`authentication failed for ${registry.host}: 401 Unauthorized UNAUTHORIZED: authentication required`);
      const err = await failure(client.getManifest('team/app', '3.14'));
      expect(err.kind).toBe('registry-auth');
      expect(err.message).toBe(
        `authentication failed for ${registry.host} (repository team/app): 401 Unauthorized UNAUTHORIZED: authentication required`,
      );
      expect(err.context).toMatchObject({ registry: registry.host, image: `${registry.host}/team/app:3.14` });
    });

    it('reports a Basic challenge without configured credentials as registry-auth', async () => {
      const registry = await basicRegistry('bob', 'pw');
      const err = await failure(clients.make({ host: registry.host }).getManifest('team/app', '3.14'));
      expect(err.kind).toBe('registry-auth');
      expect(err.message).toContain('(repository team/app): the registry asks for basic credentials and none are configured');
    });

    it('takes credentials from a docker config.json, in either of its two forms', async () => {
      const registry = await basicRegistry('carol', 'pa:ss');
      const dir = mkdtempSync(join(tmpdir(), 'imagewarden-dockercfg-'));
      const encoded = join(dir, 'encoded.json');
      writeFileSync(encoded, JSON.stringify({ auths: { [`http://${registry.host}/v2/`]: { auth: Buffer.from('carol:pa:ss').toString('base64') } } }));
      const plain = join(dir, 'plain.json');
      writeFileSync(plain, JSON.stringify({ auths: { [registry.host]: { username: 'carol', password: 'pa:ss' } } }));
      for (const dockerConfig of [encoded, plain]) {
        const client = clients.make({ host: registry.host, dockerConfig });
        await client.ping();
        expect((await client.getManifest('team/app', '3.14')).digest).toBe(ALPINE.manifestDigest);
      }
    });

    it('refuses credentials it cannot read from a docker config rather than going anonymous', async () => {
      const registry = await basicRegistry('carol', 'pw');
      const dir = mkdtempSync(join(tmpdir(), 'imagewarden-dockercfg-'));
      const helper = join(dir, 'helper.json');
      writeFileSync(helper, JSON.stringify({ auths: { [registry.host]: {} }, credsStore: 'desktop' }));
      await expect(clients.make({ host: registry.host, dockerConfig: helper }).ping()).rejects.toThrow(
        /credential helper "docker-credential-desktop"/,
      );
      const missing = clients.make({ host: registry.host, dockerConfig: join(dir, 'absent.json') }).ping();
      await expect(missing).rejects.toBeInstanceOf(ConfigError);
      await expect(missing).rejects.toMatchObject({ context: { file: join(dir, 'absent.json') } });
    });
  });

  describe('ready token', () => {
    function tokenRegistry(token: string): Promise<TestServer> {
      return serve((req, res) => {
        if (req.headers.authorization !== `Bearer ${token}`) {
          return sendJson(res, 401, UNAUTHORIZED, { 'www-authenticate': 'Bearer realm="https://openshift.invalid/oauth/token"' });
        }
        if (req.url === '/v2/') return sendJson(res, 200, {});
        if (req.url === '/v2/team/app/manifests/3.14') return sendManifest(res, ALPINE.manifest, DOCKER_MANIFEST);
        sendJson(res, 404, {});
      });
    }

    it('sends a configured token as is, never asking a token service', async () => {
      const registry = await tokenRegistry('sa-token');
      const client = clients.make({ host: registry.host, token: 'sa-token' });
      await client.ping();
      expect((await client.getManifest('team/app', '3.14')).digest).toBe(ALPINE.manifestDigest);
      expect(registry.requests.slice(1).every((r) => r.headers.authorization === 'Bearer sa-token')).toBe(true);
    });

    it('reports a refused token as registry-auth', async () => {
      const registry = await tokenRegistry('sa-token');
      const err = await failure(clients.make({ host: registry.host, token: 'expired' }).getManifest('team/app', '3.14'));
      expect(err.kind).toBe('registry-auth');
      expect(err.message).toContain(`authentication failed for ${registry.host} (repository team/app): 401`);
    });
  });

  it('reports 403 as registry-denied', async () => {
    const registry = await serve((req, res) => {
      if (req.url === '/v2/') return sendJson(res, 200, {});
      sendJson(res, 403, { errors: [{ code: 'DENIED', message: 'requested access to the resource is denied' }] });
    });
    const err = await failure(clients.make({ host: registry.host }).getManifest('team/app', '3.14'));
    expect(err.kind).toBe('registry-denied');
    expect(err.status).toBe(403);
    expect(err.message).toBe(
      `access denied to manifest ${registry.host}/team/app:3.14 on ${registry.host} (repository team/app): 403 Forbidden DENIED: requested access to the resource is denied`,
    );
  });
});
