import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { matchJob } from '../jobs/match';
import { parseConfig } from '../src/config/load';
import type { Ecosystem, Inventory, Package } from '../src/inventory/types';
import { AdvisoryStore } from '../src/store/advisories';
import { openDatabase } from '../src/store/database';
import { ImageStore } from '../src/store/images';
import type { Advisory, Severity } from '../src/vuln/advisory';

export interface MatchBenchResult {
  inventories: number;
  packagesPerInventory: number;
  advisories: number;
  findings: number;
  floorSeconds: number;
  matchSeconds: number;
  /** The same job again with nothing changed: the nightly case. */
  rematchSeconds: number;
}

const RELEASES: { os: { id: string; version: string }; namespace: string; ecosystem: Ecosystem }[] = [
  { os: { id: 'debian', version: '12' }, namespace: 'debian:12', ecosystem: 'dpkg' },
  { os: { id: 'ubuntu', version: '22.04' }, namespace: 'ubuntu:22.04', ecosystem: 'dpkg' },
  { os: { id: 'alpine', version: '3.18.9' }, namespace: 'alpine:3.18', ecosystem: 'apk' },
  { os: { id: 'rhel', version: '8.1' }, namespace: 'rhel:8', ecosystem: 'rpm' },
];
const SEVERITIES: Severity[] = ['Critical', 'High', 'Medium', 'Low', 'Unknown'];
// A release's feed names about 20,000 packages (Debian's tracker knows some 30,000 source
// packages); an image installs 150 of them, so it meets a few hundred advisories, of which most
// are already fixed in the installed version, as in real images.
const PACKAGE_NAMES = 20_000;

/** A small deterministic generator, so every run matches the same data. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 0x100000000;
  };
}

function versionOf(ecosystem: Ecosystem, major: number, minor: number, rev: number): string {
  if (ecosystem === 'dpkg') return `${major}.${minor}-${rev}`;
  if (ecosystem === 'apk') return `${major}.${minor}-r${rev}`;
  return `${major}.${minor}-${rev}.el8`;
}

function* generateAdvisories(count: number): Generator<Advisory> {
  const random = rng(7);
  for (let i = 0; i < count; i++) {
    const release = RELEASES[i % RELEASES.length];
    const state = random() < 0.85 ? 'fixed' : random() < 0.5 ? 'unfixed' : 'will-not-fix';
    yield {
      id: `CVE-2024-${String(100000 + i)}`,
      aliases: [],
      namespace: release.namespace,
      ecosystem: release.ecosystem,
      package: `pkg${Math.floor(random() * PACKAGE_NAMES)}`,
      state,
      ...(state === 'fixed' && { fixedVersion: versionOf(release.ecosystem, 1, Math.floor(random() * 10), 1 + Math.floor(random() * 5)) }),
      severity: SEVERITIES[Math.floor(random() * SEVERITIES.length)],
      references: [],
      feed: 'bench',
    };
  }
}

async function* asAsync<T>(items: Iterable<T>): AsyncIterable<T> {
  yield* items;
}

function inventoryOf(i: number, perInventory: number, random: () => number): { digest: string; inventory: Inventory } {
  const release = RELEASES[i % RELEASES.length];
  const packages: Package[] = [];
  const names = new Set<string>();
  while (packages.length < perInventory) {
    const name = `pkg${Math.floor(random() * PACKAGE_NAMES)}`;
    if (names.has(name)) continue;
    names.add(name);
    packages.push({ ecosystem: release.ecosystem, name, version: versionOf(release.ecosystem, 1 + Math.floor(random() * 3), Math.floor(random() * 10), 1 + Math.floor(random() * 5)) });
  }
  return {
    digest: `sha256:${i.toString(16).padStart(64, '0')}`,
    inventory: { os: release.os, packages, packageDatabases: [], config: { labels: {}, env: [], exposedPorts: [] }, layers: [], warnings: [] },
  };
}

/** Re-match of stored inventories against stored advisories, and the floor: reading both once from SQLite. */
export async function matchBench(inventories = 10_000, perInventory = 150, advisories = 200_000): Promise<MatchBenchResult> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'iw-match-bench-'));
  const db = openDatabase(path.join(dir, 'bench.db'));
  try {
    await new AdvisoryStore(db).importFeed({ name: 'bench', format: 'generated', source: 'bench' }, asAsync(generateAdvisories(advisories)));
    const images = new ImageStore(db);
    const random = rng(11);
    db.transaction(() => {
      for (let i = 0; i < inventories; i++) {
        const { digest, inventory } = inventoryOf(i, perInventory, random);
        images.saveScan({ registry: 'bench', repository: `r${i}`, tag: '1', digest, mediaType: 'application/vnd.oci.image.manifest.v1+json', configDigest: digest }, 'bench', inventory);
      }
    })();

    let started = process.hrtime.bigint();
    let rows = 0;
    for (const _ of db.prepare('SELECT * FROM packages').iterate()) rows++;
    for (const _ of db.prepare('SELECT * FROM advisories').iterate()) rows++;
    const floorSeconds = Number(process.hrtime.bigint() - started) / 1e9;
    if (rows !== inventories * perInventory + advisories) throw new Error(`floor read ${rows} rows`);

    started = process.hrtime.bigint();
    const summary = await matchJob.run({ config: parseConfig({}), db, log: () => undefined });
    const matchSeconds = Number(process.hrtime.bigint() - started) / 1e9;
    if (summary.matched !== inventories) throw new Error(`matched ${summary.matched} of ${inventories}`);
    started = process.hrtime.bigint();
    const again = await matchJob.run({ config: parseConfig({}), db, log: () => undefined });
    const rematchSeconds = Number(process.hrtime.bigint() - started) / 1e9;
    if (again.added || again.removed) throw new Error(`an unchanged re-match added ${again.added} and removed ${again.removed}`);
    return { inventories, packagesPerInventory: perInventory, advisories, findings: summary.findings, floorSeconds, matchSeconds, rematchSeconds };
  } finally {
    db.close();
    if (process.env.IMAGEWARDEN_BENCH_KEEP) process.stdout.write(`kept ${dir}\n`);
    else fs.rmSync(dir, { recursive: true, force: true });
  }
}

export function printMatchBench(r: MatchBenchResult): void {
  process.stdout.write(
    [
      `re-match: ${r.inventories} stored inventories x ${r.packagesPerInventory} packages against ${r.advisories} advisories (${r.findings} findings)`,
      `  floor (read every package and advisory row once from SQLite): ${r.floorSeconds.toFixed(2)} s`,
      `  match job, first run (index, compare, store all findings):    ${r.matchSeconds.toFixed(2)} s (target < 30 s)`,
      `  match job again, nothing changed:                            ${r.rematchSeconds.toFixed(2)} s`,
    ].join('\n') + '\n',
  );
}
