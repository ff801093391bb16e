import { execFile, execFileSync } from 'node:child_process';
import { createReadStream, createWriteStream, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import { SaxesParser } from 'saxes';
import bz2 from 'unbzip2-stream';
import type { Package } from '../../src/inventory/types';
import { rpmAnalyzer } from '../../src/scan/analyzers/rpm';
import type { Advisory } from '../../src/vuln/advisory';
import { redHatOvalFormat } from '../../src/vuln/feeds/redhat-oval';
import { schemeFor } from '../../src/vuln/versions';

/**
 * OpenSCAP parity: the RHEL 8.0 UBI rpm database read by our rpm analyzer, Red Hat OVAL read by
 * our importer and matched with nothing but the rpm comparator and the advisory conditions must
 * flag exactly the definitions OpenSCAP's `oscap oval eval` finds true on the same database.
 */

const FIXTURES = join(__dirname, '../fixtures');
const RHSA_FEED = join(FIXTURES, 'feeds/redhat-oval/com.redhat.rhsa-RHEL8.xml');
const ANSIBLE_FEED_BZ2 = join(FIXTURES, 'feeds/redhat-oval/rhel-8-ansible-2-including-unpatched.oval.xml.bz2');
const RPM_DB_TAR = join(FIXTURES, 'openscap/rhel-8.0-ubi-var-lib-rpm.tar.xz');
const RECORDED = join(FIXTURES, 'openscap/expected-oscap-rhsa-RHEL8-vs-ubi8.tsv');
const OVAL_RESULTS_NS = 'http://oval.mitre.org/XMLSchema/oval-results-5';

const execFileAsync = promisify(execFile);
const compare = schemeFor('rpm').compare;

let work: string;
let home: string;
let ansibleFeed: string;
let packages: Package[];
let release: string;

/** The advisory id of a Red Hat OVAL definition id: `oval:com.redhat.rhsa:def:20193701` → RHSA-2019:3701. */
function advisoryIdOf(definitionId: string): string {
  const match = /^oval:com\.redhat\.(rhsa|rhba|rhea|cve):def:(\d{4})(\d+)$/.exec(definitionId);
  if (!match) throw new Error(`not a Red Hat definition id: ${definitionId}`);
  const [, kind, year, number] = match as unknown as [string, string, string, string];
  return kind === 'cve' ? `CVE-${year}-${number}` : `${kind.toUpperCase()}-${year}:${number}`;
}

/** Whether the advisory applies to the installed package, from its fields and the rpm comparator only. */
function matches(advisory: Advisory, pkg: Package): boolean {
  if (advisory.ecosystem !== 'rpm' || advisory.namespace !== `rhel:${release}`) return false;
  const c = advisory.conditions ?? {};
  if ((c.bySource ? pkg.source : pkg.name) !== advisory.package) return false;
  // The image shows no enabled module streams and boots no kernel: those conditions are not met.
  if (c.moduleStream !== undefined || c.kernelBefore !== undefined) return false;
  if (c.signedBy && !(pkg.signatureKeyId !== undefined && c.signedBy.includes(pkg.signatureKeyId))) return false;
  if (c.arch && !(pkg.arch !== undefined && c.arch.includes(pkg.arch))) return false;
  switch (advisory.state) {
    case 'fixed':
      return advisory.fixedVersion !== undefined && compare(pkg.version, advisory.fixedVersion) < 0;
    case 'unfixed':
    case 'will-not-fix':
      return true;
    case 'not-affected':
      return false;
  }
}

async function importOval(path: string): Promise<Advisory[]> {
  const out: Advisory[] = [];
  for await (const a of redHatOvalFormat.parse(createReadStream(path), { file: path, feed: 'redhat-oval' })) out.push(a);
  return out;
}

/** Advisory id → whether any installed package is flagged by one of its advisories. */
function verdicts(advisories: Advisory[], installed: Package[]): Map<string, boolean> {
  const result = new Map<string, boolean>();
  for (const a of advisories) {
    result.set(a.id, (result.get(a.id) ?? false) || installed.some((p) => matches(a, p)));
  }
  return result;
}

/** Advisory id → result, from the results file `oscap oval eval --results` wrote. */
function readOscapResults(xml: string): Map<string, string> {
  const parser = new SaxesParser({ xmlns: true });
  const results = new Map<string, string>();
  parser.on('opentag', (tag) => {
    if (tag.local !== 'definition' || tag.uri !== OVAL_RESULTS_NS) return;
    const id = tag.attributes.definition_id?.value;
    const result = tag.attributes.result?.value;
    if (id && result) results.set(advisoryIdOf(id), result);
  });
  parser.write(xml).close();
  return results;
}

async function oscapEval(feed: string, name: string): Promise<Map<string, string>> {
  const resultsFile = join(work, `${name}.results.xml`);
  try {
    await execFileAsync('oscap', ['oval', 'eval', '--results', resultsFile, feed], {
      env: { ...process.env, HOME: home },
      timeout: 120_000,
      maxBuffer: 16 * 1024 * 1024,
    });
  } catch (e) {
    throw new Error(`oscap oval eval failed (scripts/install-test-deps.sh installs openscap-scanner and rpm): ${(e as Error).message}`);
  }
  return readOscapResults(readFileSync(resultsFile, 'utf8'));
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'imagewarden-oscap-'));
  // librpm needs the whole var/lib/rpm (Packages and its indexes), in a place it may lock.
  execFileSync('tar', ['-xJf', RPM_DB_TAR, '-C', work]);
  const dbPath = join(work, 'rootfs/var/lib/rpm');
  // oscap's rpm probes read the database through librpm, pointed at ours by a private HOME's .rpmmacros.
  home = join(work, 'home');
  mkdirSync(home);
  writeFileSync(join(home, '.rpmmacros'), `%_dbpath ${dbPath}\n%_db_backend bdb_ro\n`);
  ansibleFeed = join(work, 'rhel-8-ansible-2-including-unpatched.oval.xml');
  await pipeline(createReadStream(ANSIBLE_FEED_BZ2), bz2(), createWriteStream(ansibleFeed));

  packages = rpmAnalyzer.parse({ path: 'var/lib/rpm/Packages', data: readFileSync(join(dbPath, 'Packages')) }).packageDb?.packages ?? [];
  // OpenSCAP's release test: the redhat-release package owning /etc/redhat-release, version ^8[^\d].
  const releasePackage = packages.find((p) => p.name.startsWith('redhat-release'));
  release = /^(\d+)/.exec(releasePackage?.upstreamVersion ?? '')?.[1] ?? '';
});

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

test('the image is RHEL 8 with 101 installed headers', () => {
  expect(release).toBe('8');
  expect(packages).toHaveLength(101);
});

test('recorded OpenSCAP 1.3.7 result for com.redhat.rhsa-RHEL8.xml: exactly its 11 true definitions are flagged, none of its 118 false ones', async () => {
  const recorded = readFileSync(RECORDED, 'utf8')
    .trim()
    .split('\n')
    .slice(1)
    .map((line) => line.split('\t') as [string, string, string]);
  const ours = verdicts(await importOval(RHSA_FEED), packages);
  const trueIds = recorded.filter(([, result]) => result === 'true').map(([id]) => advisoryIdOf(id));
  const falseIds = recorded.filter(([, result]) => result === 'false').map(([id]) => advisoryIdOf(id));
  expect(trueIds).toHaveLength(11);
  expect(falseIds).toHaveLength(118);
  expect(trueIds.filter((id) => ours.get(id) !== true)).toEqual([]);
  expect(falseIds.filter((id) => ours.get(id) !== false)).toEqual([]);
  expect([...ours.entries()].filter(([, flagged]) => flagged).map(([id]) => id).sort()).toEqual([...trueIds].sort());
});

test('the signing key condition is evaluated: packages without key ids flag nothing', async () => {
  const unsigned = packages.map(({ signatureKeyId: _dropped, ...rest }) => rest);
  const ours = verdicts(await importOval(RHSA_FEED), unsigned);
  expect([...ours.values()].filter(Boolean)).toEqual([]);
});

test('live: oscap oval eval of com.redhat.rhsa-RHEL8.xml on the same database agrees definition by definition', async () => {
  const oscap = await oscapEval(RHSA_FEED, 'rhsa');
  expect(oscap.size).toBe(129);
  expect([...oscap.values()].every((r) => r === 'true' || r === 'false')).toBe(true);
  const ours = verdicts(await importOval(RHSA_FEED), packages);
  expect(new Map([...ours].map(([id, flagged]) => [id, String(flagged)]))).toEqual(oscap);
  expect([...oscap.values()].filter((r) => r === 'true')).toHaveLength(11);
});

test('live: oscap oval eval of the v2 ansible file (including unpatched) agrees definition by definition', async () => {
  const oscap = await oscapEval(ansibleFeed, 'ansible');
  expect([...oscap.keys()].sort()).toEqual(['CVE-2020-10744', 'CVE-2020-1734', 'CVE-2020-1738', 'RHSA-2019:3927', 'RHSA-2020:0215']);
  expect([...oscap.values()].every((r) => r === 'true' || r === 'false')).toBe(true);
  const ours = verdicts(await importOval(ansibleFeed), packages);
  expect(new Map([...ours].map(([id, flagged]) => [id, String(flagged)]))).toEqual(oscap);
});
