import { RegistryError } from '../../src/errors';
import { router, sendJson, type Handler, type TestServer, useServers } from './http-test-server';
import { useRegistryClients } from './registry-test-fixtures';

async function collect(items: AsyncIterable<string>): Promise<string[]> {
  const out: string[] = [];
  for await (const item of items) out.push(item);
  return out;
}

/** Serves `all` in pages of `n`, linking to the next page after `last` as distribution does. */
function paged(all: string[], field: 'repositories' | 'tags', path: string, absolute?: () => string): Handler {
  return (req, res) => {
    const url = new URL(req.url ?? '', 'http://x');
    const n = 2;
    const last = url.searchParams.get('last');
    const start = last === null ? 0 : all.indexOf(last) + 1;
    const page = all.slice(start, start + n);
    const headers: Record<string, string> = {};
    if (start + n < all.length) {
      headers.link = `<${absolute ? absolute() : ''}${path}?last=${page.at(-1)}&n=${n}>; rel="next"`;
    }
    sendJson(res, 200, field === 'tags' ? { name: 'team/app', tags: page } : { repositories: page }, headers);
  };
}

describe('catalog and tag listing', () => {
  const clients = useRegistryClients();
  const start = useServers();
  const serve = (routes: Record<string, Handler>): Promise<TestServer> => start(router({ 'GET /v2/': (_q, res) => sendJson(res, 200, {}), ...routes }));

  it('follows relative Link headers through every _catalog page', async () => {
    const repos = ['a/one', 'a/two', 'b/three', 'c/four', 'c/five'];
    const registry = await serve({ 'GET /v2/_catalog': paged(repos, 'repositories', '/v2/_catalog') });
    expect(await collect(clients.make({ host: registry.host }).catalog())).toEqual(repos);
    expect(registry.requests.filter((r) => r.path.startsWith('/v2/_catalog')).map((r) => r.path)).toEqual([
      '/v2/_catalog',
      '/v2/_catalog?last=a/two&n=2',
      '/v2/_catalog?last=c/four&n=2',
    ]);
  });

  it('follows absolute same-host Link headers through tags/list pages', async () => {
    const tags = ['1.0', '1.1', '2.0', 'latest'];
    let base = '';
    const registry = await serve({ 'GET /v2/team/app/tags/list': paged(tags, 'tags', '/v2/team/app/tags/list', () => base) });
    base = `http://${registry.host}`;
    expect(await collect(clients.make({ host: registry.host }).tags('team/app'))).toEqual(tags);
    expect(registry.requests.filter((r) => r.path.includes('/tags/list'))).toHaveLength(2);
  });

  it('treats "tags": null as no tags', async () => {
    const registry = await serve({ 'GET /v2/team/empty/tags/list': (_q, res) => sendJson(res, 200, { name: 'team/empty', tags: null }) });
    expect(await collect(clients.make({ host: registry.host }).tags('team/empty'))).toEqual([]);
  });

  it('asks a bearer token service for the registry:catalog:* scope', async () => {
    const scopes: string[] = [];
    const tokens = await start((req, res) => {
      scopes.push(new URL(req.url ?? '', 'http://x').searchParams.get('scope') ?? '');
      sendJson(res, 200, { token: 'catalog-token' });
    });
    const registry = await start((req, res) => {
      if (req.url === '/v2/_catalog' && req.headers.authorization === 'Bearer catalog-token') return sendJson(res, 200, { repositories: ['x/y'] });
      sendJson(res, 401, {}, { 'www-authenticate': `Bearer realm="${tokens.url}/token",service="s",scope="registry:catalog:*"` });
    });
    expect(await collect(clients.make({ host: registry.host }).catalog())).toEqual(['x/y']);
    expect(scopes).toEqual(['registry:catalog:*']);
  });

  it('refuses a Link to another host and a Link that loops', async () => {
    const registry = await serve({
      'GET /v2/_catalog': (_q, res) => sendJson(res, 200, { repositories: ['a/b'] }, { link: '<http://127.0.0.2:1/v2/_catalog?last=a/b>; rel="next"' }),
      'GET /v2/team/app/tags/list': (_q, res) => sendJson(res, 200, { tags: ['x'] }, { link: '</v2/team/app/tags/list>; rel="next"' }),
    });
    const client = clients.make({ host: registry.host });
    const away = collect(client.catalog());
    await expect(away).rejects.toBeInstanceOf(RegistryError);
    await expect(away).rejects.toThrow('paginates to another host (http://127.0.0.2:1); refusing to follow');
    await expect(collect(client.tags('team/app'))).rejects.toThrow('pagination loops back to /v2/team/app/tags/list');
  });

  it('reports an unusable page and a missing repository with typed errors', async () => {
    const registry = await serve({
      'GET /v2/_catalog': (_q, res) => sendJson(res, 200, { repositories: 'all of them' }),
      'GET /v2/team/gone/tags/list': (_q, res) => sendJson(res, 404, { errors: [{ code: 'NAME_UNKNOWN', message: 'repository name not known to registry' }] }),
    });
    const client = clients.make({ host: registry.host });
    await expect(collect(client.catalog())).rejects.toMatchObject({ kind: 'registry-http', message: expect.stringContaining('"repositories" must be an array of strings') });
    await expect(collect(client.tags('team/gone'))).rejects.toMatchObject({
      kind: 'registry-not-found',
      message: expect.stringContaining('repository team/gone not found'),
    });
  });
});
