import { DOCKER_MANIFEST, DOCKER_MANIFEST_LIST, OCI_INDEX, OCI_MANIFEST } from '../../src/registry/media-types';
import { parsePlatform, platformMatches, selectPlatform } from '../../src/registry/platform';
import { parseReference } from '../../src/registry/reference';
import type { Descriptor } from '../../src/registry/types';
import { failure, type Handler, router, sendJson, type TestServer, useServers } from './http-test-server';
import { ALPINE, useRegistryClients, sendManifest, sha256 } from './registry-test-fixtures';

/** An arm64 sibling of the real amd64 manifest, for a two-platform index (README explains). */
const ARM64_MANIFEST = Buffer.from(
  JSON.stringify({
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256('arm64-config'), size: 12 },
    layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: sha256('arm64-layer'), size: 11 }],
  }),
);

const TWO_PLATFORM_INDEX = Buffer.from(
  JSON.stringify({
    schemaVersion: 2,
    mediaType: OCI_INDEX,
    manifests: [
      { mediaType: DOCKER_MANIFEST, digest: ALPINE.manifestDigest, size: ALPINE.manifest.length, platform: { os: 'linux', architecture: 'amd64' } },
      { mediaType: OCI_MANIFEST, digest: sha256(ARM64_MANIFEST), size: ARM64_MANIFEST.length, platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } },
      { mediaType: OCI_MANIFEST, digest: sha256('attestation'), size: 10, platform: { os: 'unknown', architecture: 'unknown' } },
    ],
  }),
);

describe('manifests', () => {
  const clients = useRegistryClients();
  const start = useServers();
  const serve = (routes: Record<string, Handler>): Promise<TestServer> => start(router({ 'GET /v2/': (_q, res) => sendJson(res, 200, {}), ...routes }));

  /** A registry holding the real alpine:3.14 list and manifest plus the two-platform index. */
  function alpineRoutes(): Record<string, Handler> {
    return {
      'GET /v2/library/alpine/manifests/3.14': (_q, res) => sendManifest(res, ALPINE.list, DOCKER_MANIFEST_LIST),
      'GET /v2/library/alpine/manifests/multi': (_q, res) => sendManifest(res, TWO_PLATFORM_INDEX, OCI_INDEX),
      [`GET /v2/library/alpine/manifests/${ALPINE.manifestDigest}`]: (_q, res) => sendManifest(res, ALPINE.manifest, DOCKER_MANIFEST),
      [`GET /v2/library/alpine/manifests/${sha256(ARM64_MANIFEST)}`]: (_q, res) => sendManifest(res, ARM64_MANIFEST, OCI_MANIFEST),
    };
  }

  it('asks for all four manifest media types and returns the verified digest and media type', async () => {
    const registry = await serve(alpineRoutes());
    const m = await clients.make({ host: registry.host }).getManifest('library/alpine', ALPINE.manifestDigest);
    expect(m).toEqual({ digest: ALPINE.manifestDigest, mediaType: DOCKER_MANIFEST, body: ALPINE.manifest });
    const accept = registry.requests.find((r) => r.path.includes('/manifests/'))?.headers.accept ?? '';
    for (const type of [OCI_INDEX, DOCKER_MANIFEST_LIST, OCI_MANIFEST, DOCKER_MANIFEST]) expect(accept).toContain(type);
  });

  it('follows the real alpine:3.14 manifest list to its linux/amd64 manifest', async () => {
    const registry = await serve(alpineRoutes());
    const ref = parseReference(`${registry.host}/library/alpine:3.14`);
    const resolved = await clients.make({ host: registry.host }).resolve(ref, parsePlatform('linux/amd64'));
    expect(resolved).toEqual({
      reference: ref,
      manifestDigest: ALPINE.manifestDigest,
      indexDigest: ALPINE.listDigest,
      mediaType: DOCKER_MANIFEST,
      platform: { os: 'linux', architecture: 'amd64' },
      config: { mediaType: 'application/vnd.docker.container.image.v1+json', size: 1472, digest: ALPINE.configDigest },
      layers: [{ mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip', size: 2829633, digest: ALPINE.layerDigest }],
    });
  });

  it('picks the amd64 or the arm64 entry of an index by platform, arm64 meaning arm64/v8', async () => {
    const registry = await serve(alpineRoutes());
    const client = clients.make({ host: registry.host });
    const ref = parseReference(`${registry.host}/library/alpine:multi`);
    const amd64 = await client.resolve(ref, parsePlatform('linux/amd64'));
    const arm64 = await client.resolve(ref, parsePlatform('linux/arm64'));
    const arm64v8 = await client.resolve(ref, parsePlatform('linux/arm64/v8'));
    expect(amd64.manifestDigest).toBe(ALPINE.manifestDigest);
    expect(arm64.manifestDigest).toBe(sha256(ARM64_MANIFEST));
    expect(arm64.layers[0]?.digest).toBe(sha256('arm64-layer'));
    expect(arm64.platform).toEqual({ os: 'linux', architecture: 'arm64', variant: 'v8' });
    expect(arm64v8.manifestDigest).toBe(arm64.manifestDigest);
    expect(amd64.indexDigest).toBe(sha256(TWO_PLATFORM_INDEX));
  });

  it('names the platforms available when the wanted one is missing', async () => {
    const registry = await serve(alpineRoutes());
    const err = await failure(clients.make({ host: registry.host }).resolve(parseReference(`${registry.host}/library/alpine:multi`), parsePlatform('linux/s390x')));
    expect(err.kind).toBe('manifest');
    expect(err.message).toBe(
      `${registry.host}/library/alpine:multi has no manifest for linux/s390x; available: linux/amd64, linux/arm64/v8, unknown/unknown`,
    );
  });

  it('resolves a reference naming a single manifest without an index', async () => {
    const registry = await serve(alpineRoutes());
    const ref = parseReference(`${registry.host}/library/alpine@${ALPINE.manifestDigest}`);
    const resolved = await clients.make({ host: registry.host }).resolve(ref, parsePlatform('linux/amd64'));
    expect(resolved.manifestDigest).toBe(ALPINE.manifestDigest);
    expect(resolved.indexDigest).toBeUndefined();
    expect(resolved.platform).toBeUndefined();
  });

  it('rejects a body that does not hash to Docker-Content-Digest', async () => {
    const registry = await serve({
      'GET /v2/team/app/manifests/1.0': (_q, res) => sendManifest(res, ALPINE.manifest, DOCKER_MANIFEST, ALPINE.listDigest),
    });
    const err = await failure(clients.make({ host: registry.host }).getManifest('team/app', '1.0'));
    expect(err.kind).toBe('digest-mismatch');
    expect(err.message).toBe(`manifest digest mismatch: Docker-Content-Digest is ${ALPINE.listDigest} but the body hashes to ${ALPINE.manifestDigest}`);
    expect(err.context).toMatchObject({ registry: registry.host, image: `${registry.host}/team/app:1.0` });
  });

  it('rejects a body that does not hash to the digest asked for, even without Docker-Content-Digest', async () => {
    const registry = await serve({
      [`GET /v2/team/app/manifests/${ALPINE.listDigest}`]: (_q, res) => sendManifest(res, ALPINE.manifest, DOCKER_MANIFEST, null),
    });
    const err = await failure(clients.make({ host: registry.host }).getManifest('team/app', ALPINE.listDigest));
    expect(err.kind).toBe('digest-mismatch');
    expect(err.message).toContain(`the requested digest is ${ALPINE.listDigest} but the body hashes to ${ALPINE.manifestDigest}`);
  });

  it('takes the media type from the body when Content-Type is generic, and infers OCI from the shape', async () => {
    const bare = Buffer.from(JSON.stringify({ schemaVersion: 2, config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256('c'), size: 1 }, layers: [] }));
    const registry = await serve({
      'GET /v2/team/app/manifests/json': (_q, res) => sendManifest(res, ALPINE.list, 'application/json'),
      'GET /v2/team/app/manifests/bare': (_q, res) => sendManifest(res, bare, 'text/plain; charset=utf-8'),
    });
    const client = clients.make({ host: registry.host });
    expect((await client.getManifest('team/app', 'json')).mediaType).toBe(DOCKER_MANIFEST_LIST);
    expect((await client.getManifest('team/app', 'bare')).mediaType).toBe(OCI_MANIFEST);
  });

  it('rejects unknown media types, naming them: schema1 and anything else', async () => {
    const schema1 = Buffer.from(JSON.stringify({ schemaVersion: 1, name: 'team/app', tag: 'old', fsLayers: [] }));
    const artifact = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.example.thing.v1+json' }));
    const registry = await serve({
      'GET /v2/team/app/manifests/signed': (_q, res) => sendManifest(res, schema1, 'application/vnd.docker.distribution.manifest.v1+prettyjws'),
      'GET /v2/team/app/manifests/unsigned': (_q, res) => sendManifest(res, schema1, 'application/json'),
      'GET /v2/team/app/manifests/artifact': (_q, res) => sendManifest(res, artifact, 'application/octet-stream'),
    });
    const client = clients.make({ host: registry.host });
    const signed = await failure(client.getManifest('team/app', 'signed'));
    expect(signed.kind).toBe('manifest');
    expect(signed.message).toMatch(/^unsupported manifest media type application\/vnd\.docker\.distribution\.manifest\.v1\+prettyjws/);
    const unsigned = await failure(client.getManifest('team/app', 'unsigned'));
    expect(unsigned.message).toMatch(/^unsupported manifest media type application\/vnd\.docker\.distribution\.manifest\.v1\+json/);
    const other = await failure(client.getManifest('team/app', 'artifact'));
    expect(other.message).toMatch(/^unsupported manifest media type application\/vnd\.example\.thing\.v1\+json/);
  });

  it('validates the manifest shape with messages naming the exact field', async () => {
    const noDigest = Buffer.from(
      JSON.stringify({ schemaVersion: 2, config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256('c'), size: 1 }, layers: [{ mediaType: 'x', size: 3 }] }),
    );
    const badVersion = Buffer.from(JSON.stringify({ schemaVersion: 3, layers: 'none' }));
    const helm = Buffer.from(
      JSON.stringify({ schemaVersion: 2, config: { mediaType: 'application/vnd.cncf.helm.config.v1+json', digest: sha256('h'), size: 1 }, layers: [] }),
    );
    const registry = await serve({
      'GET /v2/team/app/manifests/nodigest': (_q, res) => sendManifest(res, noDigest, OCI_MANIFEST),
      'GET /v2/team/app/manifests/badversion': (_q, res) => sendManifest(res, badVersion, OCI_MANIFEST),
      'GET /v2/team/app/manifests/helm': (_q, res) => sendManifest(res, helm, OCI_MANIFEST),
    });
    const client = clients.make({ host: registry.host });
    const resolve = (tag: string): Promise<unknown> => client.resolve(parseReference(`${registry.host}/team/app:${tag}`), parsePlatform('linux/amd64'));
    const a = await failure(resolve('nodigest'));
    expect(a.kind).toBe('manifest');
    expect(a.message).toBe('invalid image manifest: layers[0].digest: is missing');
    const b = await failure(resolve('badversion'));
    expect(b.message).toContain('schemaVersion: must be 2, got 3');
    expect(b.message).toContain('config: is missing');
    expect(b.message).toContain('layers: Invalid input: expected array');
    const c = await failure(resolve('helm'));
    expect(c.message).toContain('is not a container image (config media type application/vnd.cncf.helm.config.v1+json)');
  });

  it('says whether the manifest or the whole repository is missing', async () => {
    const registry = await serve({
      'GET /v2/team/app/manifests/gone': (_q, res) => sendJson(res, 404, { errors: [{ code: 'MANIFEST_UNKNOWN', message: 'manifest unknown' }] }),
      'GET /v2/team/nope/manifests/1.0': (_q, res) => sendJson(res, 404, { errors: [{ code: 'NAME_UNKNOWN', message: 'repository name not known to registry' }] }),
    });
    const client = clients.make({ host: registry.host });
    const manifest = await failure(client.getManifest('team/app', 'gone'));
    expect(manifest.kind).toBe('registry-not-found');
    expect(manifest.message).toBe(`manifest ${registry.host}/team/app:gone not found on ${registry.host} (404 Not Found MANIFEST_UNKNOWN: manifest unknown)`);
    const repo = await failure(client.getManifest('team/nope', '1.0'));
    expect(repo.message).toBe(`repository team/nope not found on ${registry.host} (404 Not Found NAME_UNKNOWN: repository name not known to registry)`);
  });

  it('refuses an invalid tag or repository before sending anything', async () => {
    const registry = await serve({});
    const client = clients.make({ host: registry.host });
    await expect(client.getManifest('Team/App', '1.0')).rejects.toMatchObject({ kind: 'reference' });
    await expect(client.getManifest('team/app', '../../x')).rejects.toMatchObject({ kind: 'reference' });
    await expect(client.getManifest('team/app', 'sha256:abc')).rejects.toMatchObject({ kind: 'reference' });
    expect(registry.requests).toHaveLength(0);
  });
});

describe('platforms', () => {
  it('parses os/architecture[/variant] and rejects anything else', () => {
    expect(parsePlatform('linux/arm64/v8')).toEqual({ os: 'linux', architecture: 'arm64', variant: 'v8' });
    expect(parsePlatform('Linux/AMD64')).toEqual({ os: 'linux', architecture: 'amd64' });
    for (const bad of ['linux', 'linux/', '/amd64', 'linux/arm/v7/x', 'linux/arm/']) {
      expect(() => parsePlatform(bad)).toThrow(/expected os\/architecture\[\/variant\]/);
    }
  });

  it('normalizes architecture aliases and default variants as containerd does', () => {
    expect(platformMatches(parsePlatform('linux/arm64'), { os: 'linux', architecture: 'arm64', variant: 'v8' })).toBe(true);
    expect(platformMatches(parsePlatform('linux/arm64/v8'), { os: 'linux', architecture: 'aarch64' })).toBe(true);
    expect(platformMatches(parsePlatform('linux/arm'), { os: 'linux', architecture: 'arm', variant: 'v7' })).toBe(true);
    expect(platformMatches(parsePlatform('linux/arm'), { os: 'linux', architecture: 'arm', variant: 'v6' })).toBe(false);
    expect(platformMatches(parsePlatform('linux/x86_64'), { os: 'linux', architecture: 'amd64' })).toBe(true);
    expect(platformMatches(parsePlatform('linux/amd64'), { os: 'windows', architecture: 'amd64' })).toBe(false);
  });

  it('prefers the entry without a variant when none is asked for', () => {
    const d = (variant?: string): Descriptor => ({
      mediaType: OCI_MANIFEST,
      digest: sha256(variant ?? 'plain'),
      size: 1,
      platform: variant ? { os: 'linux', architecture: 'amd64', variant } : { os: 'linux', architecture: 'amd64' },
    });
    expect(selectPlatform([d('v3'), d()], parsePlatform('linux/amd64'))?.digest).toBe(sha256('plain'));
    expect(selectPlatform([d('v3')], parsePlatform('linux/amd64'))?.digest).toBe(sha256('v3'));
    expect(selectPlatform([d('v3'), d()], parsePlatform('linux/amd64/v3'))?.digest).toBe(sha256('v3'));
  });
});
