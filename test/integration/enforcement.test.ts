import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import Database from 'better-sqlite3';
import { startProxy, type FaultProxy } from '../support/fault-proxy';
import { startOpenShiftServer, type OpenShiftServer } from '../support/openshift-server';
import { cli } from '../support/run-imagewarden';
import { loadTestEnvironment, pushedImage, type PushedImage } from '../support/test-environment';

const env = loadTestEnvironment();
const CLI = path.join(__dirname, '../../dist/src/cli/main.js');
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

function writeConfig(name: string, server: OpenShiftServer, db: string, options: { dryRun?: boolean; ignore?: string[]; slow?: boolean } = {}): string {
  const file = path.join(workdir, `${name}.yaml`);
  fs.writeFileSync(
    file,
    [
      `database: ${db}`,
      options.slow ? 'scan: { workers: 1, maxConcurrentScans: 1 }' : 'scan: { workers: 1 }',
      `registries: [{ host: "${proxy.host}", insecure: true${options.slow ? ', requestsPerSecond: 3' : ''} }]`,
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

test('kill -9 in the middle of an enforcing sweep, then run-now: nothing lost, nothing scanned twice, annotations correct', async () => {
  const c = await cluster('killed');
  try {
    await run(c.config, ['feeds', 'import', '--name', 'alpine-3.10', path.join(FEEDS, 'alpine-secdb/v3.10-main.yaml')]);
    await run(c.config, ['feeds', 'import', '--name', 'rhel8-oval', path.join(FEEDS, 'redhat-oval/com.redhat.rhsa-RHEL8.xml')]);
    // One scan at a time at three requests a second: the kill lands after the first stored scan.
    const slow = writeConfig('killed-slow', c.server, c.db, { slow: true });
    proxy.reset();
    const child = spawn(process.execPath, [CLI, '--config', slow, 'run-now', '--job', 'sweep'], { stdio: 'ignore' });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    const stored = (): string[] => {
      try {
        const db = new Database(c.db, { readonly: true });
        try {
          return (db.prepare('SELECT digest FROM inventories').all() as { digest: string }[]).map((r) => r.digest);
        } finally {
          db.close();
        }
      } catch {
        return []; // the database or its schema is not there yet
      }
    };
    const deadline = Date.now() + 60_000;
    while (stored().length < 1 && Date.now() < deadline) await sleep(20);
    child.kill('SIGKILL');
    await exited;
    const storedFirst = stored();
    expect(storedFirst.length).toBe(1);
    expect(patches(c)).toEqual([]);
    const configsFetchedFirst = { ...proxy.counts().blobGetsByDigest };

    proxy.reset();
    await run(c.config, ['run-now', '--job', 'sweep']);
    const again = proxy.counts().blobGetsByDigest;
    // The image stored before the kill is not pulled again.
    const first = [rhel, alpine].find((i) => i.digest === storedFirst[0])!;
    const config = first.manifest.config!.digest;
    expect(configsFetchedFirst[config]).toBe(1);
    expect(again[config] ?? 0).toBe(0);
    for (const layer of first.manifest.layers) expect(again[layer.digest] ?? 0).toBe(0);

    const store = new Database(c.db, { readonly: true });
    const inventories = (store.prepare('SELECT digest FROM inventories ORDER BY digest').all() as { digest: string }[]).map((r) => r.digest);
    const duplicates = store.prepare('SELECT registry, repository, tag, digest FROM images GROUP BY 1, 2, 3, 4 HAVING count(*) > 1').all();
    const verdicts = store.prepare('SELECT digest, state FROM verdicts ORDER BY digest').all();
    store.close();
    expect(inventories).toEqual([rhel.digest, alpine.digest].sort());
    expect(duplicates).toEqual([]);
    expect(verdicts).toEqual(
      [
        { digest: rhel.digest, state: 'non-compliant' },
        { digest: alpine.digest, state: 'compliant' },
        { digest: broken.digest, state: 'unknown' },
      ].sort((a, b) => a.digest.localeCompare(b.digest)),
    );
    // Exactly the non-compliant image is denied; the others are as the cluster had them.
    expect(patches(c).map((r) => r.path)).toEqual([`/apis/image.openshift.io/v1/images/${rhel.digest}`]);
    expect(annotations(c, rhel)[DENY]).toBe('true');
    for (const image of [alpine, broken]) expect(annotations(c, image)).toEqual({ 'openshift.io/image.managed': 'true' });
  } finally {
    await c.server.stop();
  }
}, 180_000);
