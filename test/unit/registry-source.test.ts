import { parsePlatform } from '../../src/registry/platform';
import { RegistrySource, type RegistrySourceConfig } from '../../src/sources/registry';
import type { DiscoveredImage, DiscoveryProblem } from '../../src/sources/source';
import { router, sendJson, type Handler, type TestServer, useServers } from './http-test-server';
import { ALPINE, sendManifest, sha256 } from './registry-test-fixtures';

const DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';
const DOCKER_LIST = 'application/vnd.docker.distribution.manifest.list.v2+json';

/** A single-platform image whose config says when it was built. */
function image(created: string) {
  const config = Buffer.from(JSON.stringify({ created, architecture: 'amd64', os: 'linux', config: {}, rootfs: { type: 'layers', diff_ids: [] } }));
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: DOCKER_MANIFEST,
      config: { mediaType: 'application/vnd.docker.container.image.v1+json', digest: sha256(config), size: config.length },
      layers: [],
    }),
  );
  return { config, manifest, digest: sha256(manifest) };
}

type Image = ReturnType<typeof image>;

/** A registry serving `repos` (repository → tag → image); repositories in `broken` fail their tag list. */
function registryRoutes(repos: Record<string, Record<string, Image>>, broken: string[] = []): Record<string, Handler> {
  const routes: Record<string, Handler> = {
    'GET /v2/': (_q, res) => sendJson(res, 200, {}),
    'GET /v2/_catalog': (_q, res) => sendJson(res, 200, { repositories: [...Object.keys(repos), ...broken] }),
  };
  for (const name of broken) routes[`GET /v2/${name}/tags/list`] = (_q, res) => sendJson(res, 500, { errors: [{ code: 'UNKNOWN', message: 'storage down' }] });
  for (const [name, tags] of Object.entries(repos)) {
    routes[`GET /v2/${name}/tags/list`] = (_q, res) => sendJson(res, 200, { name, tags: Object.keys(tags) });
    for (const [tag, img] of Object.entries(tags)) {
      routes[`GET /v2/${name}/manifests/${tag}`] = (_q, res) => sendManifest(res, img.manifest, DOCKER_MANIFEST);
      routes[`GET /v2/${name}/manifests/${img.digest}`] = (_q, res) => sendManifest(res, img.manifest, DOCKER_MANIFEST);
      routes[`GET /v2/${name}/blobs/${sha256(img.config)}`] = (_q, res) => {
        res.writeHead(200, { 'content-length': img.config.length });
        res.end(img.config);
      };
    }
  }
  return routes;
}

function sourceConfig(server: TestServer, overrides: Partial<RegistrySourceConfig> = {}): RegistrySourceConfig {
  return {
    name: 'lab',
    type: 'registry',
    url: server.url,
    repositories: { include: ['*'], exclude: [] },
    tags: { include: ['*'], exclude: [] },
    maxConcurrentScans: 2,
    ...overrides,
  };
}

async function discover(source: RegistrySource): Promise<{ images: DiscoveredImage[]; problems: DiscoveryProblem[] }> {
  const images: DiscoveredImage[] = [];
  const problems: DiscoveryProblem[] = [];
  for await (const i of source.discover({ onProblem: (p) => problems.push(p) })) images.push(i);
  images.sort((a, b) => `${a.reference.repository}:${a.reference.tag}`.localeCompare(`${b.reference.repository}:${b.reference.tag}`));
  return { images, problems };
}

const tagsOf = (images: DiscoveredImage[]) => images.map((i) => `${i.reference.repository}:${i.reference.tag}`);

describe('RegistrySource', () => {
  const serve = useServers();
  const old = image('2023-01-01T00:00:00Z');
  const mid = image('2024-06-01T00:00:00Z');
  const newest = image('2025-03-01T00:00:00Z');

  it('lists every repository and tag, resolves each tag to its digest, and reports a repository whose tags fail', async () => {
    const server = await serve(router(registryRoutes({ 'team/app': { '1.0': old, '2.0': mid, latest: mid }, alpine: { '3.19': newest } }, ['team/broken'])));
    const { images, problems } = await discover(new RegistrySource(sourceConfig(server), []));
    expect(tagsOf(images)).toEqual(['alpine:3.19', 'team/app:1.0', 'team/app:2.0', 'team/app:latest']);
    const latest = images.find((i) => i.reference.tag === 'latest')!;
    expect(latest).toEqual({ source: 'lab', digest: mid.digest, reference: { registry: server.host, repository: 'team/app', tag: 'latest', digest: mid.digest } });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ source: 'lab', where: `${server.host}/team/broken` });
    expect(problems[0]!.message).toMatch(/cannot list tags/);
    // No maxPerRepository: no config blob is read.
    expect(server.requests.filter((r) => r.path.includes('/blobs/'))).toEqual([]);
  });

  it('applies the repository and tag include/exclude patterns before resolving anything', async () => {
    const server = await serve(
      router(registryRoutes({ 'library/alpine': { '3.19': newest, '3.19-debug': newest }, 'library/tools/jq': { '1.7': old }, 'team/app': { '1.0': old } })),
    );
    const config = sourceConfig(server, { repositories: { include: ['library/*'], exclude: ['library/tools/*'] }, tags: { include: ['*'], exclude: ['*-debug'] } });
    const { images } = await discover(new RegistrySource(config, []));
    expect(tagsOf(images)).toEqual(['library/alpine:3.19']);
    expect(server.requests.some((r) => r.path.startsWith('/v2/team/app/'))).toBe(false);
    expect(server.requests.some((r) => r.path.endsWith('/manifests/3.19-debug'))).toBe(false);
  });

  it('keeps the newest maxPerRepository tags by the config date, reading configs only where there are more tags', async () => {
    const server = await serve(router(registryRoutes({ 'team/app': { a: old, b: newest, c: mid }, 'team/small': { only: old } })));
    const config = sourceConfig(server, { tags: { include: ['*'], exclude: [], maxPerRepository: 2 } });
    const { images } = await discover(new RegistrySource(config, []));
    expect(tagsOf(images)).toEqual(['team/app:b', 'team/app:c', 'team/small:only']);
    expect(images.find((i) => i.reference.tag === 'b')!.created).toBe('2025-03-01T00:00:00Z');
    const blobReads = server.requests.filter((r) => r.path.includes('/blobs/')).map((r) => r.path);
    expect(blobReads.every((p) => p.startsWith('/v2/team/app/'))).toBe(true);
    expect(blobReads).toHaveLength(3);
  });

  it('follows a manifest list to the configured platform and keeps the list digest in the reference', async () => {
    const server = await serve(
      router({
        'GET /v2/': (_q, res) => sendJson(res, 200, {}),
        'GET /v2/_catalog': (_q, res) => sendJson(res, 200, { repositories: ['alpine'] }),
        'GET /v2/alpine/tags/list': (_q, res) => sendJson(res, 200, { name: 'alpine', tags: ['3.14'] }),
        'GET /v2/alpine/manifests/3.14': (_q, res) => sendManifest(res, ALPINE.list, DOCKER_LIST),
        [`GET /v2/alpine/manifests/${ALPINE.manifestDigest}`]: (_q, res) => sendManifest(res, ALPINE.manifest, DOCKER_MANIFEST),
      }),
    );
    const source = new RegistrySource(sourceConfig(server), [], { platform: parsePlatform('linux/amd64') });
    const { images, problems } = await discover(source);
    expect(problems).toEqual([]);
    expect(images).toEqual([
      { source: 'lab', digest: ALPINE.manifestDigest, reference: { registry: server.host, repository: 'alpine', tag: '3.14', digest: ALPINE.listDigest } },
    ]);
  });

  it('fails the whole discovery when the catalog itself cannot be read', async () => {
    const server = await serve(router({ 'GET /v2/': (_q, res) => sendJson(res, 200, {}), 'GET /v2/_catalog': (_q, res) => sendJson(res, 404, { errors: [{ code: 'UNSUPPORTED', message: 'catalog disabled' }] }) }));
    await expect(discover(new RegistrySource(sourceConfig(server), []))).rejects.toThrow(/repository catalog/);
  });

  it('takes transport and credentials from the registries entry of the URL host, plain http allowed by an http URL', () => {
    const source = new RegistrySource(
      { name: 'lab', type: 'registry', url: 'http://registry.lab.test:5000', repositories: { include: ['*'], exclude: [] }, tags: { include: ['*'], exclude: [] }, maxConcurrentScans: 1 },
      [{ host: 'registry.lab.test:5000', username: 'robot', password: 'secret', requestsPerSecond: 5 }],
    );
    expect(source.registryFor('registry.lab.test:5000')).toEqual({ host: 'registry.lab.test:5000', username: 'robot', password: 'secret', requestsPerSecond: 5, insecure: true });
    expect(source.registryFor('quay.io')).toEqual({ host: 'quay.io' });
  });
});
