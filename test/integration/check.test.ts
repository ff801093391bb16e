import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startProxy, type FaultProxy } from '../support/fault-proxy';
import { cli } from '../support/run-imagewarden';
import { loadTestEnvironment, pushedImage, type PushedImage } from '../support/test-environment';
import type { ExpectedScan } from '../support/recipe-types';

const FIXTURES = path.join(__dirname, '../fixtures');
const env = loadTestEnvironment();

let workdir: string;
beforeAll(() => {
  workdir = fs.mkdtempSync(path.join(os.tmpdir(), 'iw-check-'));
});
afterAll(() => fs.rmSync(workdir, { recursive: true, force: true }));

function freshDb(name: string): string {
  return path.join(workdir, `${name}.db`);
}

interface CheckJson {
  image: string;
  digest: string;
  platform: string | null;
  os: { id: string; version: string } | null;
  packages: { name: string; version: string; source?: string; ecosystem: string }[];
  packageDatabases: { ecosystem: string; path: string; layer: string; packages: number }[];
  vulnerabilities: null;
  policies: { name: string; enforcement: string; violations: string[] }[];
  compliant: boolean;
}

async function checkJson(ref: string, db: string, extra: string[] = []): Promise<CheckJson> {
  const r = await cli(['--db', db, 'check', '--json', ...extra, ref]);
  // 1 is a completed check of a non-compliant image; only 2 is an error.
  if (r.status !== 0 && r.status !== 1) throw new Error(`check ${ref} exited ${r.status}: ${r.stderr}`);
  return JSON.parse(r.stdout) as CheckJson;
}

/**
 * The package set a source database really holds, from the lists that dpkg-query and rpm wrote
 * when the fixtures were made (see each fixture folder's README), not from our own parsers.
 */
function expectedPackages(fixture: string): string[] | undefined {
  const rel = fixture.replace(/^images\/(alpine-3\.10)\.docker-save\.tar\.gz$/, 'pkgdb/apk/$1-image.installed').replace(
    /^images\/alpine-3\.14\.containerd-oci\.tar$/,
    'pkgdb/apk/alpine-3.14-image.installed',
  );
  const rpm = /^pkgdb\/rpm\/([^/]+)\//.exec(rel);
  if (rpm) {
    return fs
      .readFileSync(path.join(FIXTURES, 'pkgdb/rpm', rpm[1], 'expected.tsv'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => {
        const [name, epoch, version, release] = line.split('\t');
        return `${name} ${epoch ? `${epoch}:` : ''}${version}-${release}`;
      })
      .sort();
  }
  const list = /^pkgdb\/(dpkg|apk)\/(.+)\.(status|installed)$/.exec(rel);
  if (!list) return undefined;
  return fs
    .readFileSync(path.join(FIXTURES, 'pkgdb', list[1], `${list[2]}.expected.tsv`), 'utf8')
    .split('\n')
    .slice(1)
    .filter(Boolean)
    .map((line) => line.split('\t').slice(0, 2).join(' '))
    .sort();
}

function expectScan(result: CheckJson, expected: ExpectedScan): void {
  if (expected.os) expect(result.os).toMatchObject(expected.os);
  else expect(result.os).toBeNull();
  const want = expected.packages;
  if (!want) {
    expect(result.packageDatabases).toEqual([]);
    expect(result.packages).toEqual([]);
    return;
  }
  expect(result.packages).toHaveLength(want.count);
  expect(result.packages).toContainEqual(expect.objectContaining(want.sample));
  const exact = expectedPackages(want.fixture);
  if (exact) expect(result.packages.map((p) => `${p.name} ${p.version}`).sort()).toEqual(exact);
  expect(result.packages.every((p) => p.ecosystem === want.ecosystem)).toBe(true);
  const dbPaths = result.packageDatabases.map((d) => d.path);
  if (want.path.endsWith('/*')) {
    const dir = want.path.slice(0, -1);
    expect(dbPaths.length).toBeGreaterThan(0);
    expect(dbPaths.every((p) => p.startsWith(dir))).toBe(true);
  } else {
    expect(dbPaths).toEqual([want.path]);
  }
}

const scannable = env.images.filter((i) => !i.expected.failure && i.references.open);
const hostile = env.images.filter((i) => i.expected.failure && i.references.open);

describe('check --json against the real registry', () => {
  test.each(scannable.map((i) => [i.id, i] as const))('%s: OS and the exact package set', async (_id, image: PushedImage) => {
    const result = await checkJson(image.references.open!, freshDb(image.id));
    expect(result.image).toBe(image.references.open);
    const amd64 = image.manifest.manifests.find((m) => m.platform?.architecture === 'amd64');
    expect(result.digest).toBe(amd64 ? amd64.digest : image.digest);
    expectScan(result, image.expected);
    expect(result.vulnerabilities).toBeNull();
    // No feed is imported here: the vulnerability policy cannot be evaluated, so the gate is closed.
    expect(result.compliant).toBe(false);
    expect(result.policies).toContainEqual(
      expect.objectContaining({ enforcement: 'enforce', violations: [expect.stringMatching(/cannot be evaluated: no imported feed covers/)] }),
    );
  });

  test('the alpine 3.10 archive gives 14 packages', async () => {
    const result = await checkJson(pushedImage(env, 'archive-alpine-3.10').references.open!, freshDb('alpine-310'));
    expect(result.packages).toHaveLength(14);
    expect(result.os).toEqual(expect.objectContaining({ id: 'alpine', version: '3.10.4' }));
  });

  test('rpm counts equal rpm -qa: BerkeleyDB 101, SQLite 129, NDB 35', async () => {
    const counts = [];
    for (const id of ['rpm-bdb-rhel-8', 'rpm-sqlite-mariner-2.0', 'rpm-ndb-sles-15.3']) {
      counts.push((await checkJson(pushedImage(env, id).references.open!, freshDb(`count-${id}`))).packages.length);
    }
    expect(counts).toEqual([101, 129, 35]);
  });

  test('a multi-arch index is followed to the platform asked for', async () => {
    for (const id of ['multiarch-oci-index', 'multiarch-docker-list']) {
      const image = pushedImage(env, id);
      for (const entry of image.platforms!) {
        const platform = [entry.platform.os, entry.platform.architecture, entry.platform.variant].filter(Boolean).join('/');
        const result = await checkJson(image.references.open!, freshDb(`${id}-${entry.platform.architecture}`), ['--platform', platform]);
        expect(result.digest).toBe(entry.digest);
        expectScan(result, entry.expected);
      }
    }
  });

  test('a platform the index does not have is an error listing the ones it has', async () => {
    const r = await cli(['--db', freshDb('s390x'), 'check', '--platform', 'linux/s390x', pushedImage(env, 'multiarch-oci-index').references.open!]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/linux\/s390x/);
    expect(r.stderr).toMatch(/linux\/amd64/);
    expect(r.stderr).toMatch(/linux\/arm64/);
  });

  test('the table output names OS, database and packages', async () => {
    const ref = pushedImage(env, 'apk-alpine-3.18.9').references.open!;
    const r = await cli(['--db', freshDb('table'), 'check', ref]);
    expect(r.status).toBe(1);
    expect(r.stdout).toContain(`✗ Image ${ref} failed policy`);
    expect(r.stdout).toMatch(/- Violations:\n {4}- vulnerabilities cannot be evaluated: no imported feed covers/);
    expect(r.stdout).toMatch(/Summary of policy violations: 1 policies violated .*; 1 enforced/);
    expect(r.stdout).toMatch(/OS\s+Alpine Linux v3\.18 \[alpine 3\.18\.9\]/);
    expect(r.stdout).toMatch(/Package database lib\/apk\/db\/installed \(apk installed, 15 packages/);
    expect(r.stdout).toMatch(/^musl\s+1\.2\.4-r2\s/m);
    expect(r.stdout).toContain('15 packages');
  });
});

describe('progress', () => {
  test('a terminal sees a progress line while layers download; a pipe sees none', async () => {
    const image = pushedImage(env, 'rpm-bdb-rhel-8');
    const main = path.join(__dirname, '../../dist/src/cli/main.js');
    // util-linux's `script` gives the CLI a pseudo-terminal, as an operator's shell would.
    const tty = await cli([], {}, ['script', '-qec', `${process.execPath} ${main} --db ${freshDb('tty')} check ${image.references.open!}`, '/dev/null']);
    expect(tty.status).toBe(1);
    expect(tty.stdout).toMatch(/\r\x1b\[2Klayers 1\/1 {2}1\.1 MiB \/ 1\.1 MiB {2}sha256:[0-9a-f]{12}/);
    const piped = await cli(['--db', freshDb('pipe'), 'check', image.references.open!]);
    expect(piped.stderr).toBe('');
    expect(piped.stdout).not.toContain('\x1b[2K');
  });
});

describe('checking again downloads nothing', () => {
  let proxy: FaultProxy;
  beforeAll(async () => {
    proxy = await startProxy(env.registries.open.url);
  });
  afterAll(() => proxy.stop());

  test('a second check of the same image makes zero blob requests', async () => {
    const image = pushedImage(env, 'dpkg-debian-11');
    const ref = `${proxy.host}/${image.repository}:${image.tags[0]}`;
    const db = freshDb('warm');
    proxy.reset();
    const first = await checkJson(ref, db);
    const cold = proxy.counts();
    expect(cold.blobGet).toBe(image.manifest.layers.length + 1);
    expect(cold.blobBytes).toBeGreaterThan(0);

    proxy.reset();
    const second = await checkJson(ref, db);
    const warm = proxy.counts();
    expect(warm.blobGet).toBe(0);
    expect(warm.blobHead).toBe(0);
    expect(warm.blobBytes).toBe(0);
    expect(second.packages).toEqual(first.packages);
  });

  test('an image made of known layers downloads only its config', async () => {
    // catalog-multi-tag has the same layers as apk-alpine-3.20.3 but is its own manifest.
    const db = freshDb('shared-layers');
    const a = pushedImage(env, 'apk-alpine-3.20.3');
    await checkJson(`${proxy.host}/${a.repository}:${a.tags[0]}`, db);
    proxy.reset();
    const b = pushedImage(env, 'catalog-multi-tag');
    const result = await checkJson(`${proxy.host}/${b.repository}:${b.tags[0]}`, db);
    expect(result.packages).toHaveLength(14);
    const counts = proxy.counts();
    expect(counts.blobGet).toBe(b.digest === a.digest ? 0 : 1);
  });
});

describe('hostile images fail with exit 2 and say where', () => {
  test.each(hostile.map((i) => [i.id, i] as const))('%s', async (_id, image: PushedImage) => {
    const db = freshDb(`hostile-${image.id}`);
    const r = await cli(['--db', db, 'check', '--json', image.references.open!]);
    expect(r.status).toBe(2);
    // The JSON is the unknown verdict and the error, never an inventory.
    expect(JSON.parse(r.stdout)).toMatchObject({ verdict: 'unknown', compliant: false, error: { kind: image.expected.failure } });
    expect(r.stdout).not.toContain('"packages"');
    expect(r.stderr).toContain(`image ${image.references.open}`);
    expect(r.stderr).toMatch(/layer sha256:[0-9a-f]{64}/);
    expect(r.stderr).not.toMatch(/0 packages/);
    if (image.expected.failure === 'analyzer') expect(r.stderr).toMatch(/file (var\/lib\/rpm\/Packages|var\/lib\/dpkg\/status|lib\/apk\/db\/installed)/);
    if (image.id === 'hostile-path-traversal') expect(r.stderr).toContain('escapes the image root');
    if (image.id === 'hostile-corrupt-gzip') expect(r.stderr).toContain('corrupt gzip stream');

    const listed = await cli(['--db', db, 'images', '--json']);
    const rows = JSON.parse(listed.stdout) as { status: string; packageCount: number | null; lastError: string }[];
    expect(rows).toHaveLength(1);
    expect(rows[0].status).toBe('failed');
    expect(rows[0].packageCount).toBeNull();
    expect(rows[0].lastError).toContain('layer sha256:');
  });
});

describe('faults on the wire', () => {
  let proxy: FaultProxy;
  const image = () => pushedImage(env, 'dpkg-debian-11');
  beforeEach(async () => {
    proxy = await startProxy(env.registries.open.url);
  });
  afterEach(() => proxy.stop());

  const ref = () => `${proxy.host}/${image().repository}:${image().tags[0]}`;
  const layer = () => image().manifest.layers[0].digest;

  test.each([
    ['a connection dropped mid-blob', { type: 'truncate', afterBytes: 1000 } as const],
    ['a clean but short answer', { type: 'short-body', bytes: 1000 } as const],
  ])('a truncated blob (%s) is an error naming image and layer, never 0 packages', async (_name, fault) => {
    proxy.setFaults([{ digest: layer(), fault }]);
    const r = await cli(['--db', freshDb(`truncated-${fault.type}`), 'check', ref()]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`image ${ref()}`);
    expect(r.stderr).toContain(`layer ${layer()}`);
    expect(r.stderr).toMatch(/truncated|closed after \d+ of \d+ body bytes|expected \d+ bytes/i);
  });

  test('a blob whose bytes do not match its digest is an error naming the digest', async () => {
    proxy.setFaults([{ digest: layer(), fault: { type: 'flip-bytes', offsets: [200, 201, 202] } }]);
    const r = await cli(['--db', freshDb('mismatch'), 'check', ref()]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/digest mismatch/i);
    expect(r.stderr).toContain(`layer ${layer()}`);
  });

  test('an unknown manifest media type is refused by name', async () => {
    proxy.setFaults([{ path: /\/manifests\//, method: 'GET', fault: { type: 'content-type', contentType: 'application/vnd.example.unknown+json' } }]);
    const r = await cli(['--db', freshDb('mediatype'), 'check', ref()]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('application/vnd.example.unknown+json');
    expect(r.stderr).toContain(`image ${ref()}`);
  });

  test('an unreachable registry is exit 2 naming it', async () => {
    const r = await cli(['--db', freshDb('unreachable'), 'check', '127.0.0.1:9/nothing/here:1']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/127\.0\.0\.1:9/);
    expect(r.stderr).toMatch(/unreachable|refused/i);
  });
});

describe('authenticated registries', () => {
  function configFor(role: 'htpasswd' | 'token', password: string): string {
    const reg = env.registries[role];
    const file = path.join(workdir, `${role}-${password.length}.yaml`);
    fs.writeFileSync(file, `registries:\n  - host: "${reg.host}"\n    username: ${reg.credentials!.username}\n    password: \${IW_TEST_PASSWORD}\n`);
    process.env.IW_TEST_PASSWORD = password;
    return file;
  }

  test.each(['htpasswd', 'token'] as const)('%s: right credentials scan, wrong ones are a 401 error naming the registry', async (role) => {
    const image = env.images.find((i) => i.references[role] && !i.expected.failure)!;
    const reg = env.registries[role];
    const ok = await cli(['--db', freshDb(`${role}-ok`), 'check', '--json', image.references[role]!], { config: configFor(role, reg.credentials!.password) });
    expect(ok.stderr).toBe('');
    expect(ok.status).toBe(1);
    expectScan(JSON.parse(ok.stdout) as CheckJson, image.expected);

    const bad = await cli(['--db', freshDb(`${role}-bad`), 'check', image.references[role]!], { config: configFor(role, 'wrong-password') });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain(reg.host);
    expect(bad.stderr).toMatch(/authentication|401/i);
  });

  test('without credentials an authenticated registry is refused, not empty', async () => {
    const image = env.images.find((i) => i.references.htpasswd && !i.expected.failure)!;
    const r = await cli(['--db', freshDb('anon'), 'check', image.references.htpasswd!]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/401|authentication/i);
  });
});

describe('images', () => {
  test('lists what was stored, with OS and package counts', async () => {
    const db = freshDb('listing');
    await checkJson(pushedImage(env, 'dpkg-ubuntu-22.04').references.open!, db);
    await checkJson(pushedImage(env, 'rpm-ndb-sles-15.3').references.open!, db);
    const r = await cli(['--db', db, 'images', '--json']);
    expect(r.status).toBe(0);
    const rows = JSON.parse(r.stdout) as { repository: string; os: { id: string }; packageCount: number; status: string }[];
    expect(rows.map((x) => [x.os.id, x.packageCount, x.status]).sort()).toEqual([
      ['sles', 35, 'scanned'],
      ['ubuntu', 101, 'scanned'],
    ]);
    const table = await cli(['--db', db, 'images']);
    expect(table.stdout).toMatch(/ubuntu 22\.04\s+101\s+not checked\s+non-compliant: Fixable Critical and High vulnerabilities\s+scanned/);
  });
});
