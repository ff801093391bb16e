import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { cli } from '../support/run-imagewarden';
import { startProxy, type FaultProxy } from '../support/fault-proxy';
import { loadTestEnvironment, pushedImage } from '../support/test-environment';

const FEEDS = path.join(__dirname, '../fixtures/feeds');
const env = loadTestEnvironment();

interface Vulnerability {
  id: string;
  package: string;
  installed: string;
  fixed?: string;
  state: string;
  severity: string;
  feed: string;
}

interface CheckJson {
  digest: string;
  alreadyFixed: { id: string; package: string; installed: string; fixed: string; feed: string }[] | null;
  coverage: { namespaces: string[]; covered: boolean };
  vulnerabilities: Vulnerability[] | null;
  notAffected: { advisoryId: string; package: string; feed: string }[] | null;
}

let workdir: string;
beforeAll(() => {
  workdir = fs.mkdtempSync(path.join(os.tmpdir(), 'iw-vuln-'));
});
afterAll(() => fs.rmSync(workdir, { recursive: true, force: true }));

const db = (name: string) => path.join(workdir, `${name}.db`);

async function importFeed(database: string, args: string[]): Promise<string> {
  const r = await cli(['--db', database, 'feeds', 'import', ...args]);
  if (r.status !== 0) throw new Error(`feeds import ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return r.stdout;
}

async function check(database: string, ref: string): Promise<CheckJson> {
  const r = await cli(['--db', database, 'check', '--json', ref]);
  // 1 is a completed check of a non-compliant image; only 2 is an error.
  if (r.status !== 0 && r.status !== 1) throw new Error(`check ${ref} exited ${r.status}: ${r.stderr}`);
  return JSON.parse(r.stdout) as CheckJson;
}

const ids = (c: CheckJson, pkg: string) => (c.vulnerabilities ?? []).filter((v) => v.package === pkg).map((v) => v.id);

describe('vulnerabilities over the real registry', () => {
  test('alpine 3.10 x Alpine secdb v3.10: the busybox, musl and openssl advisories are matched, and already fixed', async () => {
    const database = db('alpine');
    const imported = await importFeed(database, [path.join(FEEDS, 'alpine-secdb/v3.10-main.yaml')]);
    expect(imported).toMatch(/imported \d+ advisories \(alpine-secdb\) for alpine:3\.10/);
    const result = await check(database, pushedImage(env, 'archive-alpine-3.10').references.open!);
    expect(result.coverage).toEqual({ namespaces: ['alpine:3.10'], covered: true });
    // Alpine 3.10.4 was built after these fixes: the secdb advisories match by origin, and the
    // installed versions carry the fixes, so none is reported vulnerable.
    expect(result.vulnerabilities).toEqual([]);
    expect(result.alreadyFixed).toEqual(
      expect.arrayContaining([
        { id: 'CVE-2019-5747', package: 'busybox', installed: '1.30.1-r3', fixed: '1.30.1-r2', feed: 'v3.10-main' },
        { id: 'CVE-2019-14697', package: 'musl', installed: '1.1.22-r3', fixed: '1.1.22-r3', feed: 'v3.10-main' },
        { id: 'CVE-2019-1547', package: 'libssl1.1', installed: '1.1.1d-r2', fixed: '1.1.1d-r0', feed: 'v3.10-main' },
        { id: 'CVE-2019-1547', package: 'libcrypto1.1', installed: '1.1.1d-r2', fixed: '1.1.1d-r0', feed: 'v3.10-main' },
      ]),
    );
    // Covered and clean: the default profile passes it, and check is a green gate.
    const gate = await cli(['--db', database, 'check', pushedImage(env, 'archive-alpine-3.10').references.open!]);
    expect(gate.status).toBe(0);
    expect(gate.stdout).toContain('Summary of policy violations: none');
  });

  test('an older musl than the secdb fix is reported vulnerable with the fixed version', async () => {
    const database = db('alpine-old');
    await importFeed(database, [path.join(FEEDS, 'alpine-secdb/v3.10-main.yaml')]);
    // A secdb of the image's own branch naming a musl fix newer than the installed musl.
    const secdb = path.join(workdir, 'v3.20-main.yaml');
    fs.writeFileSync(secdb, 'distroversion: v3.20\nreponame: main\narchs: [x86_64]\nurlprefix: https://dl-cdn.alpinelinux.org/alpine\napkurl: "{{urlprefix}}/{{distroversion}}/{{reponame}}/{{arch}}/{{pkg.name}}-{{pkg.ver}}.apk"\npackages:\n  - pkg:\n      name: musl\n      secfixes:\n        1.2.5-r1:\n          - CVE-2099-0001\n');
    await importFeed(database, ['--name', 'v3.20-local', secdb]);
    const result = await check(database, pushedImage(env, 'apk-alpine-3.20.3').references.open!);
    // musl-utils is built from the musl origin: the advisory applies to both binaries.
    expect(result.vulnerabilities!.map((v) => v.package).sort()).toEqual(['musl', 'musl-utils']);
    expect(result.vulnerabilities).toContainEqual(
      expect.objectContaining({ id: 'CVE-2099-0001', package: 'musl', installed: '1.2.5-r0', fixed: '1.2.5-r1', state: 'fixed', feed: 'v3.20-local' }),
    );
  });

  test('Ubuntu 22.04 x the OSV samples: glibc CVE-2016-20013 with its state', async () => {
    const database = db('ubuntu');
    await importFeed(database, ['--name', 'ubuntu-osv', path.join(FEEDS, 'osv/ubuntu')]);
    const result = await check(database, pushedImage(env, 'dpkg-ubuntu-22.04').references.open!);
    expect(result.coverage.covered).toBe(true);
    const glibc = result.vulnerabilities!.filter((v) => v.id === 'UBUNTU-CVE-2016-20013' || v.id === 'CVE-2016-20013');
    expect(glibc.map((v) => v.package)).toEqual(expect.arrayContaining(['libc6', 'libc-bin']));
    for (const v of glibc) expect(v).toMatchObject({ state: 'unfixed', installed: '2.35-0ubuntu3.1', severity: 'Low', feed: 'ubuntu-osv' });
  });

  test('RHEL 8.0 x Red Hat CSAF VEX: openssl CVE-2024-0727 deferred, curl CVE-2023-38545 not affected', async () => {
    const database = db('rhel-csaf');
    await importFeed(database, ['--name', 'redhat-vex', path.join(FEEDS, 'redhat-csaf/vex-cve-2023-38545.json'), path.join(FEEDS, 'redhat-csaf/vex-cve-2024-0727.json')]);
    const result = await check(database, pushedImage(env, 'rpm-bdb-rhel-8').references.open!);
    expect(result.coverage).toEqual({ namespaces: ['rhel:8'], covered: true });
    const openssl = result.vulnerabilities!.filter((v) => v.id === 'CVE-2024-0727');
    expect(openssl.map((v) => v.package).sort()).toEqual(['openssl-libs']);
    expect(openssl[0]).toMatchObject({ installed: '1:1.1.1-8.el8', state: 'unfixed', feed: 'redhat-vex' });
    expect(result.vulnerabilities!.some((v) => v.id === 'CVE-2023-38545')).toBe(false);
    expect(result.notAffected).toContainEqual(expect.objectContaining({ advisoryId: 'CVE-2023-38545', package: 'curl', feed: 'redhat-vex' }));
  });

  test('RHEL 8.0 x Red Hat OVAL: the 11 definitions OpenSCAP finds true', async () => {
    const database = db('rhel-oval');
    await importFeed(database, ['--name', 'rhel8-oval', path.join(FEEDS, 'redhat-oval/com.redhat.rhsa-RHEL8.xml')]);
    const result = await check(database, pushedImage(env, 'rpm-bdb-rhel-8').references.open!);
    const expected = fs
      .readFileSync(path.join(__dirname, '../fixtures/openscap/expected-oscap-rhsa-RHEL8-vs-ubi8.tsv'), 'utf8')
      .split('\n')
      .filter((l) => l.split('\t')[1] === 'true')
      .map((l) => l.split('\t')[2].split(':').slice(0, 2).join(':').replace(/^(RHSA-\d{4}:\d+).*$/, '$1'));
    const found = [...new Set(result.vulnerabilities!.map((v) => v.id))].sort();
    expect(found).toHaveLength(11);
    expect(found).toEqual([...new Set(expected)].sort());
    const curl = result.vulnerabilities!.find((v) => v.package === 'curl')!;
    expect(curl).toMatchObject({ installed: '7.61.1-8.el8', fixed: '7.61.1-11.el8', state: 'fixed', severity: 'Medium' });
    // The default profile fails fixable High findings, naming each with the version to upgrade to.
    const gate = await cli(['--db', database, 'check', pushedImage(env, 'rpm-bdb-rhel-8').references.open!]);
    expect(gate.status).toBe(1);
    expect(gate.stdout).toMatch(/failed policy '[^']+' \(policy enforcement caused failure\)/);
    expect(gate.stdout).toMatch(/ {4}- RHSA-\d{4}:\d+ \(High\) in \S+ \S+, fixed in \S+/);

    // An ignore entry for each fixable Critical/High finding lets it pass; expired, it fails again.
    const blocking = result.vulnerabilities!.filter((v) => v.state === 'fixed' && (v.severity === 'High' || v.severity === 'Critical'));
    expect(blocking.length).toBeGreaterThan(0);
    const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);
    const withIgnores = (expires: string) => {
      const file = path.join(workdir, `ignore-${expires}.yaml`);
      const entries = blocking.map((v) => `  - { id: ${v.id}, package: ${v.package}, images: ["*/rpm/*"], reason: "accepted risk for the test", expires: ${expires} }`);
      fs.writeFileSync(file, `timezone: UTC\nignore:\n${entries.join('\n')}\n`);
      return file;
    };
    const passing = await cli(['--db', database, 'check', '--json', pushedImage(env, 'rpm-bdb-rhel-8').references.open!], { config: withIgnores(day(30)) });
    expect(passing.status).toBe(0);
    const passed = JSON.parse(passing.stdout) as { compliant: boolean; ignored: { id: string; reason: string }[] };
    expect(passed.compliant).toBe(true);
    expect(passed.ignored.map((i) => i.id).sort()).toEqual(blocking.map((v) => v.id).sort());

    const expired = await cli(['--db', database, 'check', pushedImage(env, 'rpm-bdb-rhel-8').references.open!], { config: withIgnores(day(-1)) });
    expect(expired.status).toBe(1);
    expect(expired.stdout).toContain(`expired on ${day(-1)}: it counts again`);
  });

  test('an image whose OS no feed covers is reported as not checked, never as clean', async () => {
    const database = db('uncovered');
    await importFeed(database, [path.join(FEEDS, 'alpine-secdb/v3.10-main.yaml')]);
    const result = await check(database, pushedImage(env, 'dpkg-debian-11').references.open!);
    expect(result.coverage).toEqual({ namespaces: ['debian:11'], covered: false });
    expect(result.vulnerabilities).toBeNull();
    const table = await cli(['--db', database, 'check', pushedImage(env, 'dpkg-debian-11').references.open!]);
    expect(table.stdout).toContain('Vulnerabilities: NOT CHECKED: no imported feed covers debian:11.');
  });
});

describe('feed imports are atomic', () => {
  test('good, then bad, then the good data is still there and still matches', async () => {
    const database = db('atomic');
    await importFeed(database, ['--name', 'alpine', path.join(FEEDS, 'alpine-secdb/v3.10-main.yaml')]);
    const before = await cli(['--db', database, 'feeds', 'list', '--json']);
    const [feedBefore] = JSON.parse(before.stdout) as { advisories: number; source: string }[];

    for (const bad of ['alpine-secdb/v3.15-main.truncated.json', 'redhat-oval/com.redhat.rhsa-RHEL8.xml']) {
      const truncated = path.join(workdir, `cut-${path.basename(bad)}`);
      const content = fs.readFileSync(path.join(FEEDS, bad));
      fs.writeFileSync(truncated, content.subarray(0, Math.min(content.length - 40, 200_000)));
      const r = await cli(['--db', database, 'feeds', 'import', '--name', 'alpine', truncated]);
      expect(r.status).toBe(2);
      expect(r.stderr).toContain(path.basename(truncated));
      expect(r.stderr).toMatch(/line \d+|byte \d+|\$|:\d+:\d+/i);
    }
    const junk = path.join(workdir, 'junk.json');
    fs.writeFileSync(junk, '{"this is": "not a feed"}');
    const unknown = await cli(['--db', database, 'feeds', 'import', '--name', 'alpine', junk]);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toMatch(/unknown feed format/);

    const after = JSON.parse((await cli(['--db', database, 'feeds', 'list', '--json'])).stdout) as { advisories: number; source: string }[];
    expect(after).toEqual([feedBefore]);
    const result = await check(database, pushedImage(env, 'archive-alpine-3.10').references.open!);
    expect(result.alreadyFixed!.some((r) => r.package === 'musl')).toBe(true);
  });
});

describe('re-matching stored inventories', () => {
  let proxy: FaultProxy;
  beforeAll(async () => {
    proxy = await startProxy(env.registries.open.url);
  });
  afterAll(() => proxy.stop());

  test('a feed imported later turns a stored image vulnerable with no registry traffic', async () => {
    const database = db('rematch');
    const image = pushedImage(env, 'dpkg-ubuntu-22.04');
    const ref = `${proxy.host}/${image.repository}:${image.tags[0]}`;
    const first = await check(database, ref);
    expect(first.vulnerabilities).toBeNull();

    await importFeed(database, ['--name', 'ubuntu-osv', path.join(FEEDS, 'osv/ubuntu')]);
    proxy.reset();
    const run = await cli(['--db', database, 'run-now', '--job', 'match']);
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/match: 1 of 1 inventories matched .* (\d+) findings, \1 new, 0 gone/);
    const counts = proxy.counts();
    expect(counts.manifestGet + counts.manifestHead + counts.blobGet + counts.blobHead + counts.other).toBe(0);

    const again = await cli(['--db', database, 'run-now', '--job', 'match']);
    expect(again.stdout).toMatch(/, 0 new, 0 gone/);

    proxy.reset();
    const second = await check(database, ref);
    expect(proxy.counts().blobGet).toBe(0);
    expect(ids(second, 'libc6')).toContain('UBUNTU-CVE-2016-20013');

    const listed = JSON.parse((await cli(['--db', database, 'images', '--json'])).stdout) as { vulnerabilities: { total: number; fixable: number } | null }[];
    expect(listed[0].vulnerabilities!.total).toBe(second.vulnerabilities!.length);
    expect(listed[0].vulnerabilities!.fixable).toBe(second.vulnerabilities!.filter((v) => v.state === 'fixed').length);
  });
});

describe('feeds update', () => {
  test('downloads configured feeds with ETag: an unchanged feed is not imported again; a failing one keeps its data', async () => {
    const body = fs.readFileSync(path.join(FEEDS, 'alpine-secdb/v3.10-main.yaml'));
    const seen: { path: string; ifNoneMatch?: string }[] = [];
    let broken = false;
    const server = http.createServer((req, res) => {
      seen.push({ path: req.url!, ifNoneMatch: req.headers['if-none-match'] });
      if (broken) {
        res.writeHead(500).end('down for maintenance');
        return;
      }
      if (req.headers['if-none-match'] === '"v1"') {
        res.writeHead(304).end();
        return;
      }
      res.writeHead(200, { etag: '"v1"', 'content-type': 'application/yaml' }).end(body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const config = path.join(workdir, 'feeds.yaml');
      const database = db('update');
      fs.writeFileSync(
        config,
        `database: ${database}\nfeeds:\n  - { name: alpine-3.10-main, url: "http://127.0.0.1:${port}/alpine/v3.10/main.yaml" }\n  - { name: local-osv, path: ${path.join(FEEDS, 'osv/ubuntu')} }\n`,
      );
      const first = await cli(['feeds', 'update'], { config });
      expect(first.stderr).toBe('');
      expect(first.status).toBe(0);
      expect(first.stdout).toMatch(/alpine-3\.10-main: imported \d+ advisories \(alpine-secdb\) for alpine:3\.10/);
      expect(first.stdout).toMatch(/local-osv: imported \d+ advisories \(osv\)/);

      const second = await cli(['feeds', 'update'], { config });
      expect(second.status).toBe(0);
      expect(second.stdout).toMatch(/alpine-3\.10-main: unchanged since/);
      expect(seen.map((s) => s.ifNoneMatch)).toEqual([undefined, '"v1"']);

      const job = await cli(['run-now', '--job', 'feeds'], { config });
      expect(job.status).toBe(0);
      expect(job.stdout).toMatch(/feeds: 1 imported, 1 unchanged, 0 failed of 2 configured/);

      broken = true;
      const third = await cli(['feeds', 'update'], { config });
      expect(third.status).toBe(2);
      expect(third.stderr).toMatch(/alpine-3\.10-main: .*500.*previous advisories are kept/);
      expect(third.stdout).toMatch(/local-osv: imported/);
      const feeds = JSON.parse((await cli(['feeds', 'list', '--json'], { config })).stdout) as { name: string; advisories: number }[];
      expect(feeds.find((f) => f.name === 'alpine-3.10-main')!.advisories).toBeGreaterThan(1000);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
