import { createVerify, X509Certificate } from 'node:crypto';
import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { Readable } from 'node:stream';
import { gunzipSync } from 'node:zlib';
import { extract } from 'tar-stream';
import { basicAuthorization, TEST_CREDENTIALS } from '../support/credentials';
import { sha256Digest } from '../support/digest';
import { type FaultProxy, startProxy } from '../support/fault-proxy';
import { FIXTURE_IMAGES, fixtureImage, fixtureImagesWithPackagesFrom } from '../support/fixture-images';
import { readImageFixture } from '../support/fixture-paths';
import { decodeJwt } from '../support/jwt';
import { buildLayer, buildTar } from '../support/layer';
import { MANIFEST_ACCEPT, MediaType } from '../support/media-types';
import type { PushedManifest } from '../support/pushed-manifest';
import type { RegistryRole } from '../support/recipe-types';
import { RegistryClient } from '../support/registry-client';
import { startRegistry } from '../support/registry';
import { runCli } from '../support/run-cli';
import { readTarFiles } from '../support/tar-read';
import {
  loadTestEnvironment,
  pushedImage,
  pushedImagesWithPackagesFrom,
  type TestEnvironment,
} from '../support/test-environment';
import { parseChallenge } from '../support/www-authenticate';

let env: TestEnvironment;
let open: RegistryClient;

beforeAll(() => {
  env = loadTestEnvironment();
  open = new RegistryClient(env.registries.open.url);
});

function clientFor(role: RegistryRole): RegistryClient {
  const info = env.registries[role];
  return new RegistryClient(info.url, info.credentials);
}

function imageLayer(manifest: PushedManifest, index = 0): { digest: string; mediaType: string; size: number } {
  const layer = manifest.layers[index];
  if (!layer) throw new Error(`manifest ${manifest.digest} has no layer ${index}`);
  return layer;
}

function uncompress(blob: Buffer, mediaType: string): Buffer {
  if (mediaType.endsWith('gzip')) return gunzipSync(blob);
  if (mediaType.endsWith('zstd')) return runCli('zstd', ['-d', '-q', '-c'], blob);
  return blob;
}

interface ImageConfigJson {
  architecture: string;
  rootfs: { diff_ids: string[] };
  config: { User?: string; Labels?: Record<string, string> };
}

async function configOf(repository: string, manifest: PushedManifest): Promise<ImageConfigJson> {
  if (!manifest.config) throw new Error(`manifest ${manifest.digest} has no config`);
  return JSON.parse((await open.getBlob(repository, manifest.config.digest)).toString('utf8')) as ImageConfigJson;
}

describe('registries in each auth mode', () => {
  test('the open registry answers /v2/ without credentials', async () => {
    const res = await fetch(`${env.registries.open.url}/v2/`);
    expect(res.status).toBe(200);
  });

  test('the htpasswd registry refuses anonymous and wrong-password requests and accepts the exported credentials', async () => {
    const { url, credentials } = env.registries.htpasswd;
    const anonymous = await fetch(`${url}/v2/`);
    expect(anonymous.status).toBe(401);
    expect(parseChallenge(anonymous.headers.get('www-authenticate') ?? '').scheme).toBe('basic');

    const wrong = await fetch(`${url}/v2/`, {
      headers: { Authorization: basicAuthorization({ username: TEST_CREDENTIALS.username, password: 'not-the-password' }) },
    });
    expect(wrong.status).toBe(401);

    expect(credentials).toEqual(TEST_CREDENTIALS);
    const good = await fetch(`${url}/v2/`, { headers: { Authorization: basicAuthorization(TEST_CREDENTIALS) } });
    expect(good.status).toBe(200);
  });

  test('the token registry challenges with Bearer, and a token from its realm opens the manifest', async () => {
    const { url, token } = env.registries.token;
    const image = pushedImage(env, 'apk-alpine-3.20.3');
    const manifestUrl = `${url}/v2/${image.repository}/manifests/${image.tags[0]}`;

    const anonymous = await fetch(manifestUrl, { headers: { Accept: MANIFEST_ACCEPT } });
    expect(anonymous.status).toBe(401);
    const challenge = parseChallenge(anonymous.headers.get('www-authenticate') ?? '');
    expect(challenge.scheme).toBe('bearer');
    expect(challenge.params.realm).toBe(token?.realm);
    expect(challenge.params.service).toBe(token?.service);
    expect(challenge.params.scope).toBe(`repository:${image.repository}:pull`);

    const tokenUrl = `${challenge.params.realm}?service=${challenge.params.service}&scope=${challenge.params.scope}`;
    expect((await fetch(tokenUrl)).status).toBe(401);
    const bad = await fetch(tokenUrl, { headers: { Authorization: basicAuthorization({ ...TEST_CREDENTIALS, password: 'x' }) } });
    expect(bad.status).toBe(401);

    const issued = await fetch(tokenUrl, { headers: { Authorization: basicAuthorization(TEST_CREDENTIALS) } });
    expect(issued.status).toBe(200);
    const body = (await issued.json()) as { token: string; access_token: string; expires_in: number };
    expect(body.access_token).toBe(body.token);

    const withToken = await fetch(manifestUrl, { headers: { Accept: MANIFEST_ACCEPT, Authorization: `Bearer ${body.token}` } });
    expect(withToken.status).toBe(200);
    expect(withToken.headers.get('docker-content-digest')).toBe(image.digest);
  });

  test('issued tokens are RS256 JWTs with x5c and the claims distribution checks, signed by the x5c key', async () => {
    const { token } = env.registries.token;
    const res = await fetch(`${token?.realm}?service=${token?.service}&scope=repository:apk/alpine:pull,push&scope=registry:catalog:*`, {
      headers: { Authorization: basicAuthorization(TEST_CREDENTIALS) },
    });
    const jwt = ((await res.json()) as { token: string }).token;
    const { header, claims } = decodeJwt(jwt);
    expect(header.alg).toBe('RS256');
    expect(Array.isArray(header.x5c)).toBe(true);
    const cert = new X509Certificate(Buffer.from((header.x5c as string[])[0] as string, 'base64'));
    const [h, c, signature] = jwt.split('.') as [string, string, string];
    expect(createVerify('RSA-SHA256').update(`${h}.${c}`).verify(cert.publicKey, Buffer.from(signature, 'base64url'))).toBe(true);

    const now = Date.now() / 1000;
    expect(claims).toMatchObject({ iss: token?.issuer, sub: TEST_CREDENTIALS.username, aud: token?.service });
    expect(claims.nbf as number).toBeLessThanOrEqual(now);
    expect(claims.iat as number).toBeLessThanOrEqual(now + 1);
    expect(claims.exp as number).toBeGreaterThan(now);
    expect(typeof claims.jti).toBe('string');
    expect(claims.access).toEqual([
      { type: 'repository', name: 'apk/alpine', actions: ['pull', 'push'] },
      { type: 'registry', name: 'catalog', actions: ['*'] },
    ]);
  });

  test('a catalog token lists the token registry, and a denied repository gets no actions', async () => {
    const token = clientFor('token');
    const catalog = await token.request('GET', '/v2/_catalog', { scope: 'registry:catalog:*' });
    expect(catalog.status).toBe(200);
    const { repositories } = (await catalog.json()) as { repositories: string[] };
    expect(repositories).toEqual(expect.arrayContaining(['apk/alpine', 'archives/alpine']));

    const denied = env.registries.token.token?.deniedRepositories[0] as string;
    const res = await token.request('GET', `/v2/${denied}/manifests/latest`, { scope: `repository:${denied}:pull` });
    expect(res.status).toBe(401);
    expect(parseChallenge(res.headers.get('www-authenticate') ?? '').params.error).toBe('insufficient_scope');
  });

  test('startRegistry answers before resolving and stop() kills it and removes its files', async () => {
    const registry = await startRegistry({ auth: 'none' });
    expect(existsSync(registry.logFile)).toBe(true);
    expect((await fetch(`${registry.url}/v2/`)).status).toBe(200);
    await registry.stop();
    await expect(fetch(`${registry.url}/v2/`)).rejects.toThrow();
    expect(existsSync(dirname(registry.logFile))).toBe(false);
  });
});

describe('pushed fixture images', () => {
  test('every recipe was pushed, and every tag on every registry serves the recorded digest', async () => {
    expect(env.images.map((i) => i.id)).toEqual(FIXTURE_IMAGES.map((r) => r.id));
    let checked = 0;
    for (const image of env.images) {
      for (const role of Object.keys(image.references) as RegistryRole[]) {
        for (const tag of image.tags) {
          const fetched = await clientFor(role).getManifest(image.repository, tag);
          expect({ id: image.id, role, tag, digest: fetched.digest }).toEqual({ id: image.id, role, tag, digest: image.digest });
          expect(sha256Digest(fetched.body)).toBe(image.digest);
          expect(fetched.mediaType).toBe(image.manifest.mediaType);
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThanOrEqual(30);
  });

  test('the containerd OCI layout keeps the digests of its own index', async () => {
    const layout = await readTarFiles(readImageFixture('images/alpine-3.14.containerd-oci.tar'));
    const index = JSON.parse((layout.get('index.json') as Buffer).toString('utf8')) as { manifests: Array<{ digest: string }> };
    const image = pushedImage(env, 'archive-alpine-3.14-oci');
    expect(image.digest).toBe(index.manifests[0]?.digest);
    expect(image.manifest.mediaType).toBe(MediaType.dockerManifestList);
    const child = image.manifest.manifests[0] as PushedManifest;
    const fetched = await open.getManifest(image.repository, child.digest);
    expect(fetched.digest).toBe(child.digest);
    expect(layout.has(`blobs/${child.digest.replace(':', '/')}`)).toBe(true);
  });

  test('docker-save layers are pushed verbatim as uncompressed layers matching the config diff_ids', async () => {
    const image = pushedImage(env, 'archive-alpine-3.10');
    const layer = imageLayer(image.manifest);
    expect(layer.mediaType).toBe(MediaType.dockerLayerTar);
    const blob = await open.getBlob(image.repository, layer.digest);
    const config = await configOf(image.repository, image.manifest);
    expect(config.rootfs.diff_ids).toEqual([sha256Digest(blob)]);
    const tar = await readTarFiles(blob);
    expect(tar.get('etc/alpine-release')?.toString('utf8').trim()).toBe('3.10.4');

    const goof = pushedImage(env, 'archive-dockergoof');
    expect(goof.manifest.layers).toHaveLength(4);
  });

  test.each([
    ['dpkg-debian-11', MediaType.dockerLayerGzip],
    ['variant-zstd-debian-11', MediaType.ociLayerZstd],
    ['variant-uncompressed-ubuntu-22.04', MediaType.ociLayerTar],
    ['rpm-sqlite-mariner-2.0', MediaType.ociLayerGzip],
  ])('%s: layer typed %s, diff_id is the digest of the uncompressed tar, package DB bytes intact', async (id, mediaType) => {
    const image = pushedImage(env, id);
    const layer = imageLayer(image.manifest);
    expect(layer.mediaType).toBe(mediaType);
    const tar = uncompress(await open.getBlob(image.repository, layer.digest), layer.mediaType);
    expect((await configOf(image.repository, image.manifest)).rootfs.diff_ids).toEqual([sha256Digest(tar)]);
    const packages = image.expected.packages;
    if (!packages) throw new Error(`${id} should carry a package DB`);
    expect((await readTarFiles(tar)).get(packages.path)?.equals(readImageFixture(packages.fixture))).toBe(true);
  });

  test('the multi-arch index names amd64 and arm64 manifests whose configs carry those architectures', async () => {
    for (const id of ['multiarch-oci-index', 'multiarch-docker-list']) {
      const image = pushedImage(env, id);
      expect(image.platforms?.map((p) => p.platform.architecture)).toEqual(['amd64', 'arm64']);
      const fetched = JSON.parse((await open.getManifest(image.repository, image.tags[0] as string)).body.toString('utf8')) as {
        manifests: Array<{ digest: string; platform: { architecture: string } }>;
      };
      expect(fetched.manifests.map((m) => [m.platform.architecture, m.digest])).toEqual(
        image.platforms?.map((p) => [p.platform.architecture, p.digest]),
      );
      for (const child of image.manifest.manifests) {
        expect((await configOf(image.repository, child)).architecture).toBe(child.platform?.architecture);
      }
      expect(image.platforms?.[0]?.expected.packages?.fixture).not.toBe(image.platforms?.[1]?.expected.packages?.fixture);
    }
  });

  test('whiteout, opaque, distroless and hostile layers contain exactly the entries their recipes promise', async () => {
    const entries = async (id: string, index = 0): Promise<Map<string, Buffer>> => {
      const image = pushedImage(env, id);
      const layer = imageLayer(image.manifest, index);
      return readTarFiles(uncompress(await open.getBlob(image.repository, layer.digest), layer.mediaType));
    };
    expect([...(await entries('layers-dpkg-whiteout', 1)).keys()]).toEqual(['var/lib/dpkg/.wh.status']);
    expect([...(await entries('layers-apk-opaque', 1)).keys()]).toEqual(['lib/apk/db/.wh..wh..opq', 'lib/apk/db/lock']);

    const distroless = [...(await entries('dpkg-distroless-debian-11')).keys()].filter((p) => p.startsWith('var/lib/dpkg/status.d/'));
    expect(distroless).toHaveLength(96);
    expect(distroless).toContain('var/lib/dpkg/status.d/libc6');

    const hostile = [...(await entries('hostile-path-traversal')).keys()];
    expect(hostile).toEqual(expect.arrayContaining(['../../etc/passwd', '/etc/hostile-absolute', '../../../var/lib/dpkg/status']));

    const corrupt = pushedImage(env, 'hostile-corrupt-gzip');
    const blob = await open.getBlob(corrupt.repository, imageLayer(corrupt.manifest).digest);
    expect([...blob.subarray(0, 2)]).toEqual([0x1f, 0x8b]);
    expect(() => gunzipSync(blob)).toThrow();
  });

  test('the policy image runs as root under the latest tag with labels; the multi-tag repo has four tags', async () => {
    const policy = pushedImage(env, 'policy-root-latest');
    expect(policy.tags).toContain('latest');
    const config = await configOf(policy.repository, policy.manifest);
    expect(config.config.User).toBe('root');
    expect(config.config.Labels).toEqual(policy.expected.config?.labels);

    const multi = pushedImage(env, 'catalog-multi-tag');
    const tags = (await (await open.request('GET', `/v2/${multi.repository}/tags/list`, { scope: '' })).json()) as { tags: string[] };
    expect(tags.tags.sort()).toEqual(['1.0', '1.1', '2.0', 'stable']);
    const catalog = (await (await open.request('GET', '/v2/_catalog', { scope: '' })).json()) as { repositories: string[] };
    expect(new Set(catalog.repositories)).toEqual(new Set(env.images.filter((i) => i.references.open).map((i) => i.repository)));
  });

  test('images can be looked up by the fixture their package database came from', () => {
    const fromDebian11 = pushedImagesWithPackagesFrom(env, 'pkgdb/dpkg/debian-11.status').map((i) => i.id);
    expect(fromDebian11).toEqual(fixtureImagesWithPackagesFrom('pkgdb/dpkg/debian-11.status').map((r) => r.id));
    expect(fromDebian11).toEqual(
      expect.arrayContaining(['dpkg-debian-11', 'dpkg-distroless-debian-11', 'variant-zstd-debian-11', 'policy-root-latest']),
    );
    expect(fixtureImage('rpm-ndb-sles-15.3').expected.packages?.path).toBe('usr/lib/sysimage/rpm/Packages.db');
  });
});

describe('layer builder', () => {
  test('the same entries always give the same digests, and whiteouts get their on-disk names', async () => {
    const entries = [
      { type: 'dir', path: 'etc' },
      { type: 'file', path: 'etc/hostname', content: 'box\n' },
      { type: 'symlink', path: 'etc/link', target: 'hostname' },
      { type: 'hardlink', path: 'etc/hard', target: 'etc/hostname' },
      { type: 'whiteout', path: 'var/lib/dpkg/status' },
      { type: 'opaque', dir: 'lib/apk/db/' },
    ] as const;
    const a = await buildLayer(entries, 'gzip');
    const b = await buildLayer(entries, 'gzip');
    expect(a.digest).toBe(b.digest);
    expect(a.diffId).toBe(sha256Digest(await buildTar(entries)));
    expect(a.diffId).toBe((await buildLayer(entries, 'zstd')).diffId);
    expect((await buildLayer(entries, 'zstd')).blob.readUInt32LE(0)).toBe(0xfd2fb528);

    const reader = extract();
    Readable.from([gunzipSync(a.blob)]).pipe(reader);
    const headers: Array<[string, string, string | undefined]> = [];
    for await (const entry of reader) {
      headers.push([entry.header.name, entry.header.type, entry.header.linkname ?? undefined]);
      entry.resume();
    }
    expect(headers).toEqual([
      ['etc/', 'directory', undefined],
      ['etc/hostname', 'file', undefined],
      ['etc/link', 'symlink', 'hostname'],
      ['etc/hard', 'link', 'etc/hostname'],
      ['var/lib/dpkg/.wh.status', 'file', undefined],
      ['lib/apk/db/.wh..wh..opq', 'file', undefined],
    ]);
  });
});

describe('fault proxy', () => {
  let proxy: FaultProxy;
  let viaProxy: RegistryClient;
  const image = (): ReturnType<typeof pushedImage> => pushedImage(env, 'dpkg-debian-11');

  beforeAll(async () => {
    proxy = await startProxy({ url: env.registries.open.url });
    viaProxy = new RegistryClient(proxy.url);
  });
  afterAll(() => proxy.stop());
  beforeEach(() => {
    proxy.setFaults([]);
    proxy.reset();
  });

  const blobUrl = (digest: string): string => `${proxy.url}/v2/${image().repository}/blobs/${digest}`;

  test('counts manifest GET/HEAD, blob GET/HEAD and their bytes, and reset() clears them', async () => {
    const { repository, tags, manifest } = image();
    await viaProxy.getManifest(repository, tags[0] as string);
    await (await fetch(`${proxy.url}/v2/${repository}/manifests/${tags[0]}`, { method: 'HEAD', headers: { Accept: MANIFEST_ACCEPT } })).arrayBuffer();
    const layer = imageLayer(manifest);
    expect((await viaProxy.getBlob(repository, layer.digest)).length).toBe(layer.size);
    expect(await viaProxy.blobExists(repository, layer.digest)).toBe(true);
    await (await fetch(`${proxy.url}/v2/`)).arrayBuffer();

    expect(proxy.counts()).toEqual({
      manifestGet: 1,
      manifestHead: 1,
      blobGet: 1,
      blobHead: 1,
      token: 0,
      other: 1,
      blobBytes: layer.size,
      blobGetsByDigest: { [layer.digest]: 1 },
    });
    proxy.reset();
    expect(proxy.counts().blobGet).toBe(0);
    expect(proxy.counts().blobBytes).toBe(0);
  });

  test('rewrites upload Locations to stay on the proxy, so a push through it succeeds', async () => {
    // A private registry: the shared ones must keep exactly the fixture repositories.
    const registry = await startRegistry({ auth: 'none' });
    const uploadProxy = await startProxy(registry);
    try {
      const started = await fetch(`${uploadProxy.url}/v2/proxy/push-test/blobs/uploads/`, { method: 'POST' });
      expect(started.status).toBe(202);
      expect(started.headers.get('location')?.startsWith(`${uploadProxy.url}/`)).toBe(true);
      const data = Buffer.from('pushed through the proxy');
      expect(await new RegistryClient(uploadProxy.url).pushBlob('proxy/push-test', data)).toBe(sha256Digest(data));
      expect((await new RegistryClient(registry.url).getBlob('proxy/push-test', sha256Digest(data))).equals(data)).toBe(true);
      expect(uploadProxy.counts()).toMatchObject({ blobHead: 1, other: 3 });
    } finally {
      await uploadProxy.stop();
      await registry.stop();
    }
  });

  test('in front of the token registry, challenges point at the proxy and token requests are counted', async () => {
    const tokenProxy = await startProxy({ url: env.registries.token.url });
    try {
      const image = pushedImage(env, 'apk-alpine-3.20.3');
      const client = new RegistryClient(tokenProxy.url, TEST_CREDENTIALS);
      expect((await client.getManifest(image.repository, image.tags[0] as string)).digest).toBe(image.digest);
      const challenge = await fetch(`${tokenProxy.url}/v2/`);
      expect(parseChallenge(challenge.headers.get('www-authenticate') ?? '').params.realm?.startsWith(tokenProxy.url)).toBe(true);
      expect(tokenProxy.counts()).toMatchObject({ token: 1, manifestGet: 2 });
    } finally {
      await tokenProxy.stop();
    }
  });

  test('truncate: Content-Length promises the whole blob but the connection drops after N bytes', async () => {
    const layer = imageLayer(image().manifest);
    proxy.setFaults([{ digest: layer.digest, fault: { type: 'truncate', afterBytes: 1000 } }]);
    const res = await fetch(blobUrl(layer.digest));
    expect(res.status).toBe(200);
    expect(Number(res.headers.get('content-length'))).toBe(layer.size);
    await expect(res.arrayBuffer()).rejects.toThrow();
    expect(proxy.counts().blobBytes).toBe(1000);
  });

  test('short-body: a clean answer whose Content-Length matches a body shorter than the blob', async () => {
    const layer = imageLayer(image().manifest);
    proxy.setFaults([{ digest: layer.digest, fault: { type: 'short-body', bytes: 512 } }]);
    const res = await fetch(blobUrl(layer.digest));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-length')).toBe('512');
    const body = Buffer.from(await res.arrayBuffer());
    expect(body.length).toBe(512);
    expect(sha256Digest(body)).not.toBe(layer.digest);
  });

  test('flip-bytes: same length, one byte changed, so the digest no longer matches', async () => {
    const { repository, manifest } = image();
    const layer = imageLayer(manifest);
    const original = await open.getBlob(repository, layer.digest);
    proxy.setFaults([{ digest: layer.digest, fault: { type: 'flip-bytes' } }]);
    const flipped = await viaProxy.getBlob(repository, layer.digest);
    expect(flipped.length).toBe(original.length);
    expect(sha256Digest(flipped)).not.toBe(layer.digest);
    expect([...flipped].filter((b, i) => b !== original[i])).toHaveLength(1);
  });

  test('content-type: the manifest answer carries an unknown media type, matched by the digest the registry answers with', async () => {
    const { repository, tags, digest } = image();
    proxy.setFaults([{ digest, fault: { type: 'content-type', contentType: 'application/vnd.example.unknown+json' } }]);
    const fetched = await viaProxy.getManifest(repository, tags[0] as string);
    expect(fetched.mediaType).toBe('application/vnd.example.unknown+json');
    expect(fetched.digest).toBe(digest);
  });

  test.each([
    [429, 7],
    [503, 2],
  ])('status %i with Retry-After %i for the first answer only, then the real answer', async (status, retryAfter) => {
    const { repository, tags, digest } = image();
    proxy.setFaults([{ path: /\/manifests\//, times: 1, fault: { type: 'status', status, retryAfter } }]);
    const url = `${proxy.url}/v2/${repository}/manifests/${tags[0]}`;
    const first = await fetch(url, { headers: { Accept: MANIFEST_ACCEPT } });
    expect(first.status).toBe(status);
    expect(first.headers.get('retry-after')).toBe(String(retryAfter));
    await first.arrayBuffer();
    const second = await fetch(url, { headers: { Accept: MANIFEST_ACCEPT } });
    expect(second.status).toBe(200);
    expect(second.headers.get('docker-content-digest')).toBe(digest);
  });

  test('status 401 on one blob path leaves other blobs alone', async () => {
    const { repository, manifest } = image();
    const layer = imageLayer(manifest);
    const config = manifest.config?.digest as string;
    proxy.setFaults([{ path: `/v2/${repository}/blobs/${layer.digest}`, fault: { type: 'status', status: 401 } }]);
    expect((await fetch(blobUrl(layer.digest))).status).toBe(401);
    expect((await fetch(blobUrl(config))).status).toBe(200);
  });
});
