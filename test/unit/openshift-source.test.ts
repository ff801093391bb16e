import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { OpenShiftError } from '../../src/errors';
import { INTEGRATED_REGISTRY, OpenShiftSource } from '../../src/sources/openshift';
import type { DiscoveredImage, DiscoveryProblem } from '../../src/sources/source';
import { startOpenShiftServer, type OpenShiftServer } from '../support/openshift-server';

const RUBY_DIGEST = 'sha256:47463d94eb5c049b2d23b03a9530bf944f8f967a0fe79147dd6b9135bf7dd13d';
const d = (c: string) => `sha256:${c.repeat(64)}`;
const REGISTRY = 'image-registry.openshift-image-registry.svc:5000';

/** A stream as the integrated registry leaves it after two pushes to `1.0` and one to `2.0`. */
const appStream = {
  metadata: { name: 'app' },
  status: {
    dockerImageRepository: `${REGISTRY}/team-a/app`,
    publicDockerImageRepository: 'default-route-openshift-image-registry.apps.example.test/team-a/app',
    tags: [
      {
        tag: '1.0',
        items: [
          { created: '2026-01-02T00:00:00Z', dockerImageReference: `${REGISTRY}/team-a/app@${d('a')}`, image: d('a'), generation: 2 },
          { created: '2026-01-01T00:00:00Z', dockerImageReference: `${REGISTRY}/team-a/app@${d('b')}`, image: d('b'), generation: 1 },
        ],
      },
      { tag: '2.0', items: [{ created: '2026-01-03T00:00:00Z', dockerImageReference: `${REGISTRY}/team-a/app@${d('c')}`, image: d('c'), generation: 3 }] },
      { tag: 'broken', items: [{ created: '2026-01-03T00:00:00Z', dockerImageReference: `${REGISTRY}/team-a/app@${d('e')}`, image: 'not-a-digest' }] },
    ],
  },
};

const sourceConfig = (server: OpenShiftServer, namespaces?: string[]) => ({
  name: 'prod',
  type: 'openshift' as const,
  kubeconfig: server.kubeconfigPath,
  ...(namespaces && { namespaces }),
  maxConcurrentScans: 3,
  requestTimeoutSeconds: 30,
  enforce: true,
  dryRun: false,
});

async function discover(source: OpenShiftSource) {
  const images: DiscoveredImage[] = [];
  const problems: DiscoveryProblem[] = [];
  for await (const image of source.discover({ onProblem: (p) => problems.push(p) })) images.push(image);
  return { images, problems };
}

describe('OpenShiftSource', () => {
  let server: OpenShiftServer;
  beforeEach(async () => {
    server = await startOpenShiftServer();
    server.addImageStream('team-a', appStream);
  });
  afterEach(() => server.stop());

  it('yields every status item of every stream in all namespaces, with the stream tag and the item digest', async () => {
    const { images, problems } = await discover(new OpenShiftSource(sourceConfig(server), []));
    expect(images).toEqual([
      { source: 'prod', namespace: 'team-a', reference: { registry: REGISTRY, repository: 'team-a/app', tag: '1.0', digest: d('a') }, digest: d('a'), created: '2026-01-02T00:00:00Z' },
      { source: 'prod', namespace: 'team-a', reference: { registry: REGISTRY, repository: 'team-a/app', tag: '1.0', digest: d('b') }, digest: d('b'), created: '2026-01-01T00:00:00Z' },
      { source: 'prod', namespace: 'team-a', reference: { registry: REGISTRY, repository: 'team-a/app', tag: '2.0', digest: d('c') }, digest: d('c'), created: '2026-01-03T00:00:00Z' },
      // The documented origin-ruby-sample stream; the official sample streams have no status.tags, so no images.
      { source: 'prod', namespace: 'test', reference: { registry: '172.30.56.218:5000', repository: 'test/origin-ruby-sample', tag: 'latest', digest: RUBY_DIGEST }, digest: RUBY_DIGEST, created: '2016-01-29T13:40:11Z' },
    ]);
    expect(problems).toEqual([{ source: 'prod', where: 'team-a/app:broken', message: expect.stringContaining('not-a-digest') }]);
    expect(server.requests.map((r) => `${r.method} ${r.path}`)).toEqual(['GET /apis/image.openshift.io/v1/imagestreams']);
    expect(server.requests[0].query.limit).toBe('250');
  });

  it('follows list pages through continue tokens', async () => {
    for (let i = 0; i < 260; i++) server.addImageStream('bulk', { metadata: { name: `s${String(i).padStart(3, '0')}` }, status: { tags: [{ tag: 'v', items: [{ dockerImageReference: `${REGISTRY}/bulk/s${i}@${d('f')}`, image: d('f') }] }] } });
    const { images } = await discover(new OpenShiftSource(sourceConfig(server, ['bulk']), []));
    expect(images).toHaveLength(260);
    expect(server.requests.map((r) => r.query.continue !== undefined)).toEqual([false, true]);
  });

  it('lists only the configured namespaces; a forbidden one is a problem naming it, the others go on', async () => {
    server.setForbidden('list', 'imagestreams', 'team-b');
    const { images, problems } = await discover(new OpenShiftSource(sourceConfig(server, ['team-b', 'team-a', 'empty']), []));
    expect(images.map((i) => i.digest)).toEqual([d('a'), d('b'), d('c')]);
    expect(problems).toEqual([
      {
        source: 'prod',
        where: 'namespace team-b',
        message:
          'source prod: listing image streams in namespace team-b: imagestreams.image.openshift.io is forbidden: User "system:serviceaccount:imagewarden:imagewarden" cannot list resource "imagestreams" in API group "image.openshift.io" in the namespace "team-b"',
      },
      { source: 'prod', where: 'team-a/app:broken', message: expect.any(String) },
    ]);
    expect(server.requests.map((r) => r.path)).toEqual([
      '/apis/image.openshift.io/v1/namespaces/team-b/imagestreams',
      '/apis/image.openshift.io/v1/namespaces/team-a/imagestreams',
      '/apis/image.openshift.io/v1/namespaces/empty/imagestreams',
    ]);
  });

  it('reports a namespace whose list fails on the server (500, 404) and goes on', async () => {
    server.failRequests('/apis/image.openshift.io/v1/namespaces/team-a/', 500);
    server.failRequests('/apis/image.openshift.io/v1/namespaces/gone/', 404);
    const { images, problems } = await discover(new OpenShiftSource(sourceConfig(server, ['team-a', 'gone', 'test']), []));
    expect(images.map((i) => i.digest)).toEqual([RUBY_DIGEST]);
    expect(problems.map((p) => p.where)).toEqual(['namespace team-a', 'namespace gone']);
    expect(problems[0].message).toContain('injected failure 500');
  });

  it('gives up on a namespace whose list hangs after requestTimeoutSeconds, and goes on', async () => {
    server.hangRequests('/apis/image.openshift.io/v1/namespaces/team-a/');
    const { images, problems } = await discover(new OpenShiftSource({ ...sourceConfig(server, ['team-a', 'test']), requestTimeoutSeconds: 0.5 }, []));
    expect(images.map((i) => i.digest)).toEqual([RUBY_DIGEST]);
    expect(problems).toEqual([{ source: 'prod', where: 'namespace team-a', message: expect.stringMatching(/listing image streams in namespace team-a: .*(abort|timeout)/i) }]);
  });

  it('fails with a typed error naming the cluster scope when all namespaces cannot be listed', async () => {
    server.setForbidden('list', 'imagestreams');
    const attempt = discover(new OpenShiftSource(sourceConfig(server), []));
    await expect(attempt).rejects.toBeInstanceOf(OpenShiftError);
    await expect(attempt).rejects.toMatchObject({ status: 403, reason: 'Forbidden', message: expect.stringContaining('at the cluster scope') });
  });

  it('fails with a typed 401 error when the token is refused', async () => {
    const text = fs.readFileSync(server.kubeconfigPath, 'utf8').replace(server.token, 'expired');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'imagewarden-kubeconfig-'));
    try {
      fs.writeFileSync(path.join(dir, 'kubeconfig'), text);
      const attempt = discover(new OpenShiftSource({ ...sourceConfig(server), kubeconfig: path.join(dir, 'kubeconfig') }, []));
      await expect(attempt).rejects.toMatchObject({ kind: 'openshift', status: 401 });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('names the kubeconfig that cannot be read and the context that does not exist', async () => {
    const missing = new OpenShiftSource({ ...sourceConfig(server), kubeconfig: '/nonexistent/kubeconfig' }, []);
    await expect(discover(missing)).rejects.toThrow(/cannot load kubeconfig \/nonexistent\/kubeconfig/);
    const badContext = new OpenShiftSource({ ...sourceConfig(server), context: 'elsewhere' }, []);
    await expect(discover(badContext)).rejects.toThrow(/has no context "elsewhere"/);
  });

  it('gives the integrated registry the kubeconfig user token, configured hosts their entry, others nothing', async () => {
    const configured = { host: 'quay.io', username: 'robot', password: 'secret' };
    const source = new OpenShiftSource(sourceConfig(server), [configured]);
    await discover(source);
    expect(source.registryFor(INTEGRATED_REGISTRY)).toEqual({ host: INTEGRATED_REGISTRY, token: server.token });
    // Learnt from the stream's status: the public route and the ruby sample's older service address.
    expect(source.registryFor('default-route-openshift-image-registry.apps.example.test').token).toBe(server.token);
    expect(source.registryFor('172.30.56.218:5000').token).toBe(server.token);
    expect(source.registryFor('quay.io')).toBe(configured);
    expect(source.registryFor('registry.redhat.io')).toEqual({ host: 'registry.redhat.io' });
  });
});
