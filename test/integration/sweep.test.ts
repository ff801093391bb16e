import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import Database from 'better-sqlite3';
import { type FaultProxy, startProxy } from '../support/fault-proxy';
import type { PushedManifest } from '../support/pushed-manifest';
import { RegistryClient } from '../support/registry-client';
import { cli, type CliResult } from '../support/run-imagewarden';
import { loadTestEnvironment, pushedImage, type PushedImage, type TestEnvironment } from '../support/test-environment';

const CLI = path.join(__dirname, '../../dist/src/cli/main.js');

let env: TestEnvironment;
let proxy: FaultProxy;
let dir: string;

beforeAll(async () => {
  env = loadTestEnvironment();
  proxy = await startProxy(env.registries.open.url);
  dir = mkdtempSync(path.join(tmpdir(), 'imagewarden-sweep-'));
});

afterAll(async () => {
  await proxy.stop();
  rmSync(dir, { recursive: true, force: true });
});

interface SourceOptions {
  repositories?: { include?: string[]; exclude?: string[] };
  tags?: { include?: string[]; exclude?: string[]; maxPerRepository?: number };
  maxConcurrentScans?: number;
}

/** A config whose one source is the open registry, seen through the counting proxy. */
function writeConfig(name: string, source: SourceOptions = {}, extra: { scan?: object; requestsPerSecond?: number } = {}): { config: string; db: string } {
  const config = path.join(dir, `${name}.json`);
  const db = path.join(dir, `${name}.db`);
  writeFileSync(
    config,
    JSON.stringify({
      database: db,
      scan: { workers: 2, maxConcurrentScans: 4, ...extra.scan },
      registries: [{ host: proxy.host, insecure: true, ...(extra.requestsPerSecond && { requestsPerSecond: extra.requestsPerSecond }) }],
      sources: [{ name: 'lab', type: 'registry', url: proxy.url, ...source }],
    }),
  );
  return { config, db };
}

function sweep(files: { config: string }, args: string[] = []): Promise<CliResult> {
  return cli(['run-now', '--job', 'sweep', ...args], { config: files.config, timeoutMs: 120_000 });
}

/** The numbers of the summary lines `sweep: scanned 3, reused 1, failed 0` and friends. */
function summaryOf(result: CliResult): Record<string, number> {
  const numbers: Record<string, number> = {};
  const text = result.stdout;
  const pick = (re: RegExp, names: string[]) => {
    const m = re.exec(text);
    if (!m) throw new Error(`no line matching ${re} in:\n${text}\n${result.stderr}`);
    names.forEach((n, i) => (numbers[n] = Number(m[i + 1])));
  };
  pick(/sweep: (\d+) sources, (\d+) tags, (\d+) digests \((\d+) new\)/, ['sources', 'tags', 'digests', 'new']);
  pick(/sweep: scanned (\d+), reused (\d+), failed (\d+)/, ['scanned', 'reused', 'failed']);
  pick(/sweep: verdicts (\d+) compliant, (\d+) non-compliant, (\d+) unknown/, ['compliant', 'nonCompliant', 'unknown']);
  return numbers;
}

/** The manifest a sweep for linux/amd64 indexes: an index's amd64 entry (or its only entry). */
function scannedManifest(image: PushedImage): PushedManifest {
  const entries = image.manifest.manifests;
  if (!entries.length) return image.manifest;
  const amd64 = entries.find((c) => c.platform?.architecture === 'amd64') ?? (entries.length === 1 ? entries[0] : undefined);
  if (!amd64) throw new Error(`${image.id} has no linux/amd64 manifest`);
  return amd64;
}

function scannedDigest(image: PushedImage): string {
  return scannedManifest(image).digest;
}

function query<T>(db: string, sql: string, ...params: unknown[]): T[] {
  const conn = new Database(db, { readonly: true });
  try {
    return conn.prepare(sql).all(...params) as T[];
  } finally {
    conn.close();
  }
}

const hostile = () => env.images.filter((i) => i.expected.failure);
const healthy = () => env.images.filter((i) => !i.expected.failure);
const distinct = (digests: string[]) => [...new Set(digests)];

describe('run-now --job sweep over the open registry', () => {
  let full: { config: string; db: string };
  let first: CliResult;

  beforeAll(async () => {
    full = writeConfig('full');
    proxy.reset();
    first = await sweep(full);
  }, 150_000);

  it('finds every fixture repository and tag and records each under the source', () => {
    expect(first.stderr).toBe('');
    expect(first.status).toBe(0);
    const rows = query<{ repository: string; tag: string; digest: string; source: string }>(full.db, 'SELECT repository, tag, digest, source FROM images');
    const expected = env.images.flatMap((i) => i.tags.map((tag) => `${i.repository}:${tag}@${scannedDigest(i)}`)).sort();
    expect(rows.map((r) => `${r.repository}:${r.tag}@${r.digest}`).sort()).toEqual(expected);
    expect(new Set(rows.map((r) => r.source))).toEqual(new Set(['lab']));
    const s = summaryOf(first);
    expect(s.tags).toBe(expected.length);
    expect(s.digests).toBe(distinct(env.images.map(scannedDigest)).length);
  });

  it('scans each digest once, however many tags point at it', () => {
    const multiTag = pushedImage(env, 'catalog-multi-tag');
    expect(multiTag.tags.length).toBeGreaterThan(1);
    const s = summaryOf(first);
    expect(s.scanned).toBe(distinct(healthy().map(scannedDigest)).length);
    // Each config blob was fetched exactly once, even for the digest with four tags.
    const counts = proxy.counts();
    expect(counts.blobGetsByDigest[configDigest(multiTag)]).toBe(1);
    const inventories = query<{ digest: string }>(full.db, 'SELECT digest FROM inventories');
    expect(inventories.map((r) => r.digest).sort()).toEqual(distinct(healthy().map(scannedDigest)).sort());
  });

  it('fails every hostile image and gives it an unknown verdict, never compliant', () => {
    const s = summaryOf(first);
    expect(s.failed).toBe(hostile().length);
    expect(hostile().length).toBeGreaterThanOrEqual(5);
    for (const image of hostile()) {
      const [verdict] = query<{ state: string; reason: string }>(full.db, 'SELECT state, reason FROM verdicts WHERE digest = ?', image.digest);
      expect(verdict?.state).toBe('unknown');
      expect(verdict?.reason).toContain(image.repository);
      const [row] = query<{ scan_status: string }>(full.db, 'SELECT scan_status FROM images WHERE digest = ?', image.digest);
      expect(row?.scan_status).toBe('failed');
    }
    expect(first.stdout).toMatch(/scan failed: .*hostile\/corrupt-gzip/);
  });

  it('stores a verdict for every digest found', () => {
    const verdicts = query<{ digest: string; state: string }>(full.db, 'SELECT digest, state FROM verdicts');
    expect(verdicts.map((v) => v.digest).sort()).toEqual(distinct(env.images.map(scannedDigest)).sort());
    const s = summaryOf(first);
    expect(s.compliant + s.nonCompliant + s.unknown).toBe(verdicts.length);
    expect(s.unknown).toBe(hostile().length);
  });

  it('pulls no blob on a second sweep: stored digests are only re-assessed', async () => {
    proxy.reset();
    const second = await sweep(full);
    expect(second.status).toBe(0);
    const counts = proxy.counts();
    expect(counts.blobGet).toBe(0);
    expect(counts.blobBytes).toBe(0);
    const s = summaryOf(second);
    expect(s).toMatchObject({ new: 0, scanned: 0, failed: 0, reused: distinct(healthy().map(scannedDigest)).length });
    // The hostile digests keep their unknown verdict; the rest keep theirs.
    expect(s.unknown).toBe(hostile().length);
    const duplicates = query(full.db, 'SELECT registry, repository, tag, digest FROM images GROUP BY 1, 2, 3, 4 HAVING count(*) > 1');
    expect(duplicates).toEqual([]);
  }, 60_000);
});

describe('source patterns', () => {
  it('keeps the repositories and tags the include/exclude globs select', async () => {
    const files = writeConfig('patterns', {
      repositories: { include: ['dpkg/*', 'apk/alpine', 'catalog/*'], exclude: ['*/nginx'] },
      tags: { include: ['*'], exclude: ['3.18*', 'stable'] },
    });
    const result = await sweep(files);
    expect(result.status).toBe(0);
    const rows = query<{ repository: string; tag: string }>(files.db, 'SELECT repository, tag FROM images ORDER BY 1, 2');
    const expected = env.images
      .filter((i) => /^(dpkg\/|catalog\/)/.test(i.repository) || i.repository === 'apk/alpine')
      .filter((i) => !i.repository.endsWith('/nginx'))
      .flatMap((i) => i.tags.filter((t) => !t.startsWith('3.18') && t !== 'stable').map((tag) => `${i.repository}:${tag}`))
      .sort();
    expect(rows.map((r) => `${r.repository}:${r.tag}`)).toEqual(expected);
    expect(expected).toContain('apk/alpine:3.20.3');
    expect(expected).toContain('catalog/multi-tag:1.0');
    expect(expected).not.toContain('dpkg/nginx:debian-10');
  }, 60_000);

  it('keeps the newest maxPerRepository tags by the image config date', async () => {
    // The two real Alpine archives carry their build dates; built fixtures share one fixed date.
    const alpine = env.images.filter((i) => i.repository === 'archives/alpine');
    expect(alpine.length).toBe(2);
    const registry = new RegistryClient(env.registries.open.url);
    const created = await Promise.all(
      alpine.map(async (i) => {
        const res = await registry.request('GET', `/v2/${i.repository}/blobs/${configDigest(i)}`, { scope: `repository:${i.repository}:pull` });
        return { tag: i.tags[0]!, created: Date.parse((JSON.parse(await res.text()) as { created: string }).created) };
      }),
    );
    expect(created[0]!.created).not.toBe(created[1]!.created);
    const newest = created.reduce((a, b) => (b.created > a.created ? b : a));
    const files = writeConfig('newest', { repositories: { include: ['archives/alpine'] }, tags: { maxPerRepository: 1 } });
    const result = await sweep(files);
    expect(result.status).toBe(0);
    const rows = query<{ tag: string }>(files.db, 'SELECT tag FROM images');
    expect(rows.map((r) => r.tag)).toEqual([newest.tag]);
  }, 60_000);
});

describe('tags that disappear', () => {
  it('are forgotten by the next complete sweep, with the verdicts of digests no tag points at any more', async () => {
    const wide = writeConfig('forget', { repositories: { include: ['dpkg/*'] } });
    expect((await sweep(wide)).status).toBe(0);
    const before = query<{ repository: string; digest: string }>(wide.db, 'SELECT repository, digest FROM images');
    const others = before.filter((r) => r.repository !== 'dpkg/debian');
    expect(others.length).toBeGreaterThan(0);
    // The same store, a narrower source: to imagewarden the other repositories are gone.
    const narrow = writeConfig('forget-narrow', { repositories: { include: ['dpkg/debian'] } });
    writeFileSync(narrow.config, readFileSync(narrow.config, 'utf8').replace(narrow.db, wide.db));
    const second = await sweep(narrow);
    expect(second.status).toBe(0);
    expect(second.stdout).toContain(`sweep: lab: ${others.length} tags no longer present, forgotten`);
    expect(query<{ repository: string }>(wide.db, 'SELECT DISTINCT repository FROM images').map((r) => r.repository)).toEqual(['dpkg/debian']);
    const kept = new Set(query<{ digest: string }>(wide.db, 'SELECT digest FROM images').map((r) => r.digest));
    const verdicts = query<{ digest: string }>(wide.db, 'SELECT digest FROM verdicts').map((r) => r.digest);
    expect(verdicts.length).toBe(kept.size);
    for (const d of verdicts) expect(kept.has(d)).toBe(true);
    // The history of the forgotten digests stays.
    const history = query<{ digest: string }>(wide.db, 'SELECT DISTINCT digest FROM verdict_changes').map((r) => r.digest);
    for (const r of others) if (!kept.has(r.digest)) expect(history).toContain(r.digest);
  }, 90_000);
});

describe('progress', () => {
  it('draws a progress bar on a terminal and nothing on a pipe', async () => {
    const tty = writeConfig('tty', { repositories: { include: ['dpkg/*'] } });
    // util-linux's `script` gives the CLI a pseudo-terminal, as an operator's shell would.
    const shown = await cli([], {}, ['script', '-qec', `${process.execPath} ${CLI} --config ${tty.config} run-now --job sweep`, '/dev/null']);
    expect(shown.status).toBe(0);
    expect(shown.stdout).toMatch(/\r\x1b\[2Ksweep \[#+\.*\] \d+\/\d+ scans, 0 failed, \d+ tags found/);
    const piped = await sweep(writeConfig('pipe', { repositories: { include: ['dpkg/*'] } }));
    expect(piped.status).toBe(0);
    expect(piped.stderr).not.toContain('\x1b[2K');
    expect(piped.stdout).not.toContain('\x1b[2K');
  }, 60_000);
});

describe('a sweep killed mid-way', () => {
  it('loses at most its in-flight scans and the next sweep scans exactly what was not stored', async () => {
    // One scan at a time and a slow request rate, so that the kill lands between scans.
    const files = writeConfig('killed', { maxConcurrentScans: 1 }, { scan: { workers: 1, maxConcurrentScans: 1 }, requestsPerSecond: 12 });
    proxy.reset();
    const child = spawn(process.execPath, [CLI, '--config', files.config, 'run-now', '--job', 'sweep'], { stdio: 'ignore' });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    const countStored = (): number => {
      try {
        return query<{ n: number }>(files.db, 'SELECT count(*) AS n FROM inventories')[0]!.n;
      } catch {
        return 0; // the database file or its schema is not there yet
      }
    };
    const deadline = Date.now() + 60_000;
    while (countStored() < 3 && Date.now() < deadline) await sleep(20);
    child.kill('SIGKILL');
    await exited;

    const storedFirst = query<{ digest: string }>(files.db, 'SELECT digest FROM inventories').map((r) => r.digest);
    const failedFirst = distinct(query<{ digest: string }>(files.db, 'SELECT digest FROM scan_errors WHERE digest IS NOT NULL').map((r) => r.digest));
    const all = distinct(env.images.map(scannedDigest));
    expect(storedFirst.length).toBeGreaterThanOrEqual(3);
    expect(storedFirst.length + failedFirst.length).toBeLessThan(all.length);

    proxy.reset();
    const second = await sweep(files);
    expect(second.status).toBe(0);
    const s = summaryOf(second);
    const remaining = all.filter((d) => !storedFirst.includes(d) && !failedFirst.includes(d));
    expect(s.scanned + s.failed).toBe(remaining.length);
    expect(s.reused).toBe(storedFirst.length);

    // No config blob of a digest stored by the killed run was fetched again (unless a manifest
    // still to scan shares it: the Docker and OCI builds of one image have the same config).
    const counts = proxy.counts();
    const configsOf = (digests: string[]) => new Set(env.images.filter((i) => digests.includes(scannedDigest(i))).map(configDigest));
    const pending = configsOf(remaining);
    for (const config of configsOf(storedFirst)) if (!pending.has(config)) expect(counts.blobGetsByDigest[config] ?? 0).toBe(0);
    for (const config of pending) expect(counts.blobGetsByDigest[config]).toBeGreaterThanOrEqual(1);

    const inventories = query<{ digest: string }>(files.db, 'SELECT digest FROM inventories').map((r) => r.digest);
    expect(inventories.sort()).toEqual(distinct(healthy().map(scannedDigest)).sort());
    expect(query(files.db, 'SELECT registry, repository, tag, digest FROM images GROUP BY 1, 2, 3, 4 HAVING count(*) > 1')).toEqual([]);
    const tags = env.images.reduce((n, i) => n + i.tags.length, 0);
    expect(query<{ n: number }>(files.db, 'SELECT count(*) AS n FROM images')[0]!.n).toBe(tags);
    expect(query<{ n: number }>(files.db, 'SELECT count(*) AS n FROM verdicts')[0]!.n).toBe(all.length);
  }, 150_000);
});

/** The config blob of the manifest a linux/amd64 sweep reads. */
function configDigest(image: PushedImage): string {
  const config = scannedManifest(image).config;
  if (!config) throw new Error(`${image.id} has no config blob`);
  return config.digest;
}
