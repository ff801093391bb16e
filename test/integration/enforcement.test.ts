import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { startProxy, type FaultProxy } from '../support/fault-proxy';
import { startOpenShiftServer, type OpenShiftServer } from '../support/openshift-server';
import { cli } from '../support/run-imagewarden';
import { loadTestEnvironment, pushedImage, type PushedImage } from '../support/test-environment';

const env = loadTestEnvironment();
const FEEDS = path.join(__dirname, '../fixtures/feeds');
const DENY = 'images.openshift.io/deny-execution';
const FAILED = 'security.imagewarden.io/failed-policies';
const QUALITY = 'quality.images.openshift.io/vulnerability.imagewarden';

const rhel = pushedImage(env, 'rpm-bdb-rhel-8');
const alpine = pushedImage(env, 'archive-alpine-3.10');
const broken = pushedImage(env, 'hostile-corrupt-gzip');

/** The image stream OpenShift would hold after these images were imported into team-a/app, pulled through the counting proxy. */
function streamFor(proxyHost: string, tags: Record<string, PushedImage>) {
  return {
    metadata: { name: 'app' },
    status: {
      dockerImageRepository: `${proxyHost}/team-a/app`,
      tags: Object.entries(tags).map(([tag, image]) => ({
        tag,
        items: [{ created: '2026-11-01T10:00:00Z', dockerImageReference: `${proxyHost}/${image.repository}@${image.digest}`, image: image.digest, generation: 1 }],
      })),
    },
  };
}

interface Cluster {
  server: OpenShiftServer;
  config: string;
  db: string;
}

let proxy: FaultProxy;
const workdir = fs.mkdtempSync(path.join(os.tmpdir(), 'iw-enforce-'));

beforeAll(async () => {
  proxy = await startProxy(env.registries.open.url);
});
afterAll(async () => {
  await proxy.stop();
  fs.rmSync(workdir, { recursive: true, force: true });
});

async function cluster(name: string, options: { dryRun?: boolean } = {}): Promise<Cluster> {
  // The server starts with the real objects of test/fixtures/openshift; team-a's stream points at the test registry.
  const server = await startOpenShiftServer();
  server.addImageStream('team-a', streamFor(proxy.host, { rhel, alpine, broken }));
  for (const image of [rhel, alpine, broken]) server.addImage({ metadata: { name: image.digest, annotations: { 'openshift.io/image.managed': 'true' } }, dockerImageReference: `${proxy.host}/${image.repository}@${image.digest}` });
  const db = path.join(workdir, `${name}.db`);
  const config = writeConfig(name, server, db, options);
  return { server, config, db };
}

function writeConfig(name: string, server: OpenShiftServer, db: string, options: { dryRun?: boolean; ignore?: string[] } = {}): string {
  const file = path.join(workdir, `${name}.yaml`);
  fs.writeFileSync(
    file,
    [
      `database: ${db}`,
      'scan: { workers: 1 }',
      `registries: [{ host: "${proxy.host}", insecure: true }]`,
      'sources:',
      `  - { name: cluster, type: openshift, kubeconfig: ${server.kubeconfigPath}, namespaces: [team-a], enforce: true, dryRun: ${options.dryRun ?? false} }`,
      ...(options.ignore?.length ? ['ignore:', ...options.ignore.map((id) => `  - { id: "${id}", reason: "fix scheduled with the next base image" }`)] : []),
      '',
    ].join('\n'),
  );
  return file;
}

async function run(config: string, args: string[]): Promise<string> {
  const r = await cli(args, { config, timeoutMs: 180_000 });
  if (r.status !== 0) throw new Error(`${args.join(' ')} exited ${r.status}: ${r.stderr}\n${r.stdout}`);
  return r.stdout;
}

const annotations = (c: Cluster, image: PushedImage) => (c.server.images.get(image.digest)?.metadata as { annotations?: Record<string, string> }).annotations ?? {};
const patches = (c: Cluster) => c.server.requests.filter((r) => r.method === 'PATCH');
const verdictOf = (db: string, digest: string) => {
  const store = new Database(db, { readonly: true });
  const row = store.prepare('SELECT state, failed_policies FROM verdicts WHERE digest = ?').get(digest) as { state: string; failed_policies: string } | undefined;
  store.close();
  return row;
};

describe('a sweep over OpenShift image streams enforces the verdicts', () => {
  let c: Cluster;
  beforeAll(async () => {
    c = await cluster('enforce');
    await run(c.config, ['feeds', 'import', '--name', 'alpine-3.10', path.join(FEEDS, 'alpine-secdb/v3.10-main.yaml')]);
    await run(c.config, ['feeds', 'import', '--name', 'redhat-vex', path.join(FEEDS, 'redhat-csaf/vex-cve-2023-38545.json'), path.join(FEEDS, 'redhat-csaf/vex-cve-2024-0727.json')]);
  });
  afterAll(() => c.server.stop());

  test('1. compliant images and an image whose scan failed are left untouched', async () => {
    await run(c.config, ['run-now', '--job', 'sweep']);
    expect(verdictOf(c.db, rhel.digest)?.state).toBe('compliant');
    expect(verdictOf(c.db, alpine.digest)?.state).toBe('compliant');
    expect(verdictOf(c.db, broken.digest)?.state).toBe('unknown');
    expect(patches(c)).toEqual([]);
    for (const image of [rhel, alpine, broken]) expect(annotations(c, image)).toEqual({ 'openshift.io/image.managed': 'true' });
  });

  test('2. a feed update and a match turn the RHEL image non-compliant without a registry request; the next sweep denies it pulling no blob', async () => {
    await run(c.config, ['feeds', 'import', '--name', 'rhel8-oval', path.join(FEEDS, 'redhat-oval/com.redhat.rhsa-RHEL8.xml')]);
    const before = proxy.counts();
    const match = await run(c.config, ['run-now', '--job', 'match']);
    expect(match).toMatch(/verdicts changed/);
    const afterMatch = proxy.counts();
    const registryRequests = (n: typeof before) => n.manifestGet + n.manifestHead + n.blobGet + n.blobHead;
    expect(registryRequests(afterMatch)).toBe(registryRequests(before));
    expect(verdictOf(c.db, rhel.digest)?.state).toBe('non-compliant');

    await run(c.config, ['run-now', '--job', 'sweep']);
    expect(proxy.counts().blobGet).toBe(afterMatch.blobGet);
    expect(patches(c).map((r) => r.path)).toEqual([`/apis/image.openshift.io/v1/images/${rhel.digest}`]);
    expect(patches(c)[0].contentType).toContain('application/merge-patch+json');
    const marked = annotations(c, rhel);
    expect(marked[DENY]).toBe('true');
    expect(marked[FAILED]).toBe('Fixable Critical and High vulnerabilities');
    expect(JSON.parse(marked[QUALITY])).toMatchObject({ name: 'imagewarden', compliant: false, reference: expect.stringContaining(rhel.digest) });
    expect(marked['openshift.io/image.managed']).toBe('true');
    for (const image of [alpine, broken]) expect(annotations(c, image)).toEqual({ 'openshift.io/image.managed': 'true' });

    // Nothing changed: the next sweep patches nothing.
    await run(c.config, ['run-now', '--job', 'sweep']);
    expect(patches(c)).toHaveLength(1);
  });

  test('3. ignore entries for the blocking advisories make it compliant, and the sweep clears the deny annotation', async () => {
    const failed = JSON.parse(verdictOf(c.db, rhel.digest)!.failed_policies) as { violations: string[] }[];
    const ids = [...new Set(failed.flatMap((p) => p.violations.map((v) => v.split(' ')[0])))];
    expect(ids.length).toBeGreaterThan(0);
    const config = writeConfig('enforce', c.server, c.db, { ignore: ids });
    await run(config, ['run-now', '--job', 'sweep']);
    expect(verdictOf(c.db, rhel.digest)?.state).toBe('compliant');
    expect(patches(c)).toHaveLength(2);
    expect(annotations(c, rhel)[DENY]).toBeUndefined();
    expect(annotations(c, rhel)[FAILED]).toBeUndefined();
    const store = new Database(c.db, { readonly: true });
    const audit = store.prepare('SELECT image_name, action, outcome FROM enforcement_audit ORDER BY id').all();
    const history = store.prepare('SELECT to_state, cause FROM verdict_changes WHERE digest = ? ORDER BY id').all(rhel.digest);
    store.close();
    expect(audit).toEqual([
      { image_name: rhel.digest, action: 'deny', outcome: 'applied' },
      { image_name: rhel.digest, action: 'allow', outcome: 'applied' },
    ]);
    expect(history).toEqual([
      { to_state: 'compliant', cause: 'new-image' },
      { to_state: 'non-compliant', cause: 'feed-data' },
      { to_state: 'compliant', cause: 'policy-change' },
    ]);
  });
});

test('a dry run patches nothing and audits what it would have done', async () => {
  const c = await cluster('dry-run', { dryRun: true });
  try {
    await run(c.config, ['feeds', 'import', '--name', 'rhel8-oval', path.join(FEEDS, 'redhat-oval/com.redhat.rhsa-RHEL8.xml')]);
    const out = await run(c.config, ['run-now', '--job', 'sweep']);
    expect(out).toContain(`dry run: would deny Image ${rhel.digest}`);
    expect(patches(c)).toEqual([]);
    expect(annotations(c, rhel)).toEqual({ 'openshift.io/image.managed': 'true' });
    const store = new Database(c.db, { readonly: true });
    // No alpine feed here: the alpine image cannot be evaluated, so it would be denied too.
    expect(store.prepare('SELECT image_name, action, outcome, dry_run FROM enforcement_audit ORDER BY image_name').all()).toEqual(
      [rhel.digest, alpine.digest].sort().map((image_name) => ({ image_name, action: 'deny', outcome: 'dry-run', dry_run: 1 })),
    );
    store.close();
  } finally {
    await c.server.stop();
  }
});
