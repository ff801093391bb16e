import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { SaxesParser } from 'saxes';
import { cli } from '../support/run-imagewarden';
import { sarifSchemaErrors } from '../support/sarif-schema';
import { loadTestEnvironment, pushedImage } from '../support/test-environment';

const env = loadTestEnvironment();
const host = env.registries.open.host;

interface CheckJson {
  digest: string;
  compliant: boolean;
  verdict: string;
  policies: { name: string; enforcement: string; violations: string[] }[];
  evaluated: { name: string; passed: boolean }[];
}

const workdir = fs.mkdtempSync(path.join(os.tmpdir(), 'iw-verdict-'));
afterAll(() => fs.rmSync(workdir, { recursive: true, force: true }));

function writeConfig(name: string, text: string): string {
  const file = path.join(workdir, `${name}.yaml`);
  fs.writeFileSync(file, text);
  return file;
}

async function check(args: string[], options: { config?: string; db: string }): Promise<{ status: number | null; json: CheckJson; stderr: string }> {
  const r = await cli(['--db', options.db, 'check', '--json', ...args], options.config ? { config: options.config } : {});
  if (r.status === 2) throw new Error(`check ${args.join(' ')} exited 2: ${r.stderr}`);
  return { status: r.status, json: JSON.parse(r.stdout) as CheckJson, stderr: r.stderr };
}

const violationsOf = (j: CheckJson, policy: string) => j.policies.find((p) => p.name === policy)?.violations ?? [];

describe('policies that need a registry image each', () => {
  const packageManagers = writeConfig(
    'pm',
    'policies:\n  rules:\n    - { name: Package manager in image, rule: package-manager, enforcement: enforce }\n',
  );

  test('rpm: the package-manager rule names rpm and the installed versions (RHEL ubi8)', async () => {
    const { status, json } = await check([pushedImage(env, 'rpm-bdb-rhel-8').references.open!], { config: packageManagers, db: path.join(workdir, 'pm-rpm.db') });
    expect(status).toBe(1);
    const v = violationsOf(json, 'Package manager in image').join('\n');
    expect(v).toMatch(/\brpm 4\.14\.\S+/);
    expect(v).toMatch(/\b(dnf|yum|microdnf) \S+/);
  });

  test('apk: the package-manager rule names apk-tools and its version (alpine 3.20.3)', async () => {
    const { status, json } = await check([pushedImage(env, 'apk-alpine-3.20.3').references.open!], { config: packageManagers, db: path.join(workdir, 'pm-apk.db') });
    expect(status).toBe(1);
    expect(violationsOf(json, 'Package manager in image').join('\n')).toMatch(/apk-tools 2\.\d+\.\d+-r\d+/);
  });

  test('allowed registries: a namespace list overrides the cluster list; outside it the cluster list applies; no match is denied', async () => {
    const config = writeConfig(
      'allowed',
      `policies:\n  allowedRegistries:\n    cluster: ["quay.io/*"]\n    namespaces:\n      team-a: ["${host}/dpkg/*"]\n      team-b: ["docker.io/library/*"]\n`,
    );
    const ref = pushedImage(env, 'dpkg-debian-11').references.open!;
    const db = path.join(workdir, 'allowed.db');
    const allowed = (j: CheckJson) => j.evaluated.find((p) => p.name === 'Allowed registries')?.passed;
    const teamA = await check(['--namespace', 'team-a', ref], { config, db });
    expect(allowed(teamA.json)).toBe(true);
    const teamB = await check(['--namespace', 'team-b', ref], { config, db });
    expect(allowed(teamB.json)).toBe(false);
    expect(teamB.status).toBe(1);
    expect(violationsOf(teamB.json, 'Allowed registries').join('\n')).toContain(host);
    const cluster = await check([ref], { config, db });
    expect(allowed(cluster.json)).toBe(false);
    expect(violationsOf(cluster.json, 'Allowed registries').join('\n')).toContain(host);
  });

  test('--policy FILE gates on a policy file without a full config, and does not store a verdict', async () => {
    const policy = writeConfig('policy-file', 'policies:\n  rules:\n    - { name: Latest tag, rule: latest-tag, enforcement: enforce }\n');
    const db = path.join(workdir, 'policy-file.db');
    const { status, json } = await check(['--policy', policy, pushedImage(env, 'policy-root-latest').references.open!], { db });
    expect(status).toBe(1);
    expect(json.policies.map((p) => p.name)).toContain('Latest tag');
    const rows = new Database(db, { readonly: true }).prepare('SELECT count(*) AS n FROM verdicts').get() as { n: number };
    expect(rows.n).toBe(0);
    const bad = writeConfig('policy-bad', 'policies:\n  rules: []\ndatabase: x.db\n');
    const r = await cli(['--db', db, 'check', '--policy', bad, pushedImage(env, 'policy-root-latest').references.open!]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('database: a policy file holds only policies and ignore');
  });
});

describe('verdicts', () => {
  test('a scan error stores `unknown`, exits 2, and is never counted compliant', async () => {
    const db = path.join(workdir, 'unknown.db');
    const image = pushedImage(env, 'hostile-corrupt-gzip');
    const r = await cli(['--db', db, 'check', '--json', image.references.open!]);
    expect(r.status).toBe(2);
    const failure = JSON.parse(r.stdout) as { verdict: string; compliant: boolean; error: { kind: string; message: string } };
    expect(failure).toMatchObject({ verdict: 'unknown', compliant: false, error: { kind: 'layer' } });
    expect(r.stderr).toContain(image.manifest.layers[0].digest);
    const listed = await cli(['--db', db, 'images', '--json']);
    const rows = JSON.parse(listed.stdout) as { digest: string; verdict: string; status: string }[];
    expect(rows).toEqual([expect.objectContaining({ digest: image.digest, verdict: 'unknown', status: 'failed' })]);
    const store = new Database(db, { readonly: true });
    expect(store.prepare("SELECT state, reason FROM verdicts WHERE digest = ?").get(image.digest)).toEqual({ state: 'unknown', reason: expect.stringContaining('gzip') });
    expect(store.prepare("SELECT count(*) AS n FROM verdicts WHERE state = 'compliant'").get()).toEqual({ n: 0 });
    store.close();
  });

  test('the history says why a verdict changed: new image, policy change, expired ignore, feed data', async () => {
    const db = path.join(workdir, 'history.db');
    const ref = pushedImage(env, 'rpm-bdb-rhel-8').references.open!;
    const feeds = path.join(__dirname, '../fixtures/feeds/redhat-oval/com.redhat.rhsa-RHEL8.xml');
    // Without a feed nothing was checked: non-compliant ("cannot be evaluated"), never compliant.
    const first = await check([ref], { db });
    expect(first.json.verdict).toBe('non-compliant');
    expect(violationsOf(first.json, 'Fixable Critical and High vulnerabilities').join('\n')).toContain('cannot be evaluated');

    const imported = await cli(['--db', db, 'feeds', 'import', '--name', 'rhel8-oval', feeds]);
    expect(imported.status).toBe(0);
    const matched = await check([ref], { db });
    const blocking = violationsOf(matched.json, 'Fixable Critical and High vulnerabilities').map((v) => v.split(' ')[0]);
    expect(blocking.length).toBeGreaterThan(0);

    const ignore = (expires: string) =>
      writeConfig(`ignore-${expires}`, `ignore:\n${[...new Set(blocking)].map((id) => `  - { id: "${id}", reason: accepted risk, expires: ${expires} }`).join('\n')}\n`);
    const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);
    expect((await check([ref], { db, config: ignore(day(30)) })).json.verdict).toBe('compliant');
    expect((await check([ref], { db, config: ignore(day(-1)) })).json.verdict).toBe('non-compliant');

    const store = new Database(db, { readonly: true });
    const history = store.prepare('SELECT from_state, to_state, cause FROM verdict_changes WHERE digest = ? ORDER BY id').all(matched.json.digest);
    store.close();
    expect(history).toEqual([
      { from_state: null, to_state: 'non-compliant', cause: 'new-image' },
      { from_state: 'non-compliant', to_state: 'compliant', cause: 'policy-change' },
      { from_state: 'compliant', to_state: 'non-compliant', cause: 'ignore-expired' },
    ]);
  });
});

describe('check output for CI systems', () => {
  const hardened = writeConfig('hardened', 'policies: { profile: hardened }\n');
  const ref = () => pushedImage(env, 'policy-root-latest').references.open!;

  test('--output sarif on a non-compliant image validates against the SARIF 2.1.0 schema', async () => {
    const r = await cli(['--db', path.join(workdir, 'sarif.db'), 'check', '--output', 'sarif', ref()], { config: hardened });
    expect(r.status).toBe(1);
    const log = JSON.parse(r.stdout) as { version: string; runs: { results: { ruleId: string; level: string }[]; tool: { driver: { rules: { name: string }[] } } }[] };
    expect(sarifSchemaErrors(log)).toEqual([]);
    expect(log.version).toBe('2.1.0');
    const names = log.runs[0].tool.driver.rules.map((rule) => rule.name);
    expect(names).toEqual(expect.arrayContaining(['Root user', 'Latest tag', 'Package manager in image']));
    const levels = new Set(log.runs[0].results.map((x) => x.level));
    expect(levels).toEqual(new Set(['error', 'warning']));
  });

  test('--output junit: one test case per policy, enforced failures as failures', async () => {
    const r = await cli(['--db', path.join(workdir, 'junit.db'), 'check', '--output', 'junit', ref()], { config: hardened });
    expect(r.status).toBe(1);
    const cases: { name: string; failed: boolean }[] = [];
    const parser = new SaxesParser();
    parser.on('opentag', (tag) => {
      if (tag.name === 'testcase') cases.push({ name: String(tag.attributes.name), failed: false });
      if (tag.name === 'failure') cases[cases.length - 1].failed = true;
    });
    parser.write(r.stdout).close();
    expect(cases.filter((c) => c.failed).map((c) => c.name).sort()).toEqual(['Latest tag', 'Root user', 'Vulnerabilities']);
    expect(cases.find((c) => c.name === 'Package manager in image')?.failed).toBe(false);
  });
});
