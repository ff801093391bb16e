import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Package } from '../../src/inventory/types';
import { rpmAnalyzer } from '../../src/scan/analyzers/rpm';

const FIXTURES = join(__dirname, '../fixtures/pkgdb/rpm');

interface ExpectedRow {
  name: string;
  epoch: string;
  version: string;
  release: string;
  arch: string;
  sourceRpm: string;
  vendor: string;
}

/** The TSV `rpm -qa --qf '%{NAME}\t%|EPOCH?…|\t%{VERSION}\t%{RELEASE}\t%{ARCH}\t%{SOURCERPM}\t%{VENDOR}\n'` printed. */
function expectedRows(dir: string): ExpectedRow[] {
  const text = readFileSync(join(FIXTURES, dir, 'expected.tsv'), 'utf8');
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => {
      const cells = line.split('\t');
      expect(cells).toHaveLength(7);
      const [name, epoch, version, release, arch, sourceRpm, vendor] = cells;
      return { name, epoch, version, release, arch, sourceRpm, vendor };
    });
}

/** A parsed package in the same columns, so whole databases compare row by row and in rpm's order. */
function asRow(pkg: Package): ExpectedRow {
  return {
    name: pkg.name,
    epoch: pkg.epoch === undefined ? '' : String(pkg.epoch),
    version: pkg.upstreamVersion ?? '',
    release: pkg.release ?? '',
    arch: pkg.arch ?? '(none)',
    sourceRpm: pkg.sourceVersion ?? '(none)',
    vendor: pkg.vendor ?? '(none)',
  };
}

function parseFixture(dir: string, file: string, path: string): { format: string; packages: Package[] } {
  const findings = rpmAnalyzer.parse({ path, data: readFileSync(join(FIXTURES, dir, file)) });
  expect(findings.packageDb).toBeDefined();
  const db = findings.packageDb!;
  expect(db.ecosystem).toBe('rpm');
  return { format: db.format, packages: db.packages };
}

const byName = (packages: Package[], name: string): Package | undefined => packages.find((p) => p.name === name);

describe.each([
  { dir: 'rhel-8.0-ubi-bdb', file: 'Packages', path: 'var/lib/rpm/Packages', format: 'bdb', rpmQa: 101, pubkeys: 2 },
  { dir: 'rhel-8.0-ubi-subset-be512-bdb', file: 'Packages', path: 'var/lib/rpm/Packages', format: 'bdb', rpmQa: 50, pubkeys: 2 },
  { dir: 'cbl-mariner-2.0-sqlite', file: 'rpmdb.sqlite', path: 'var/lib/rpm/rpmdb.sqlite', format: 'sqlite', rpmQa: 129, pubkeys: 0 },
  { dir: 'sles-15.3-bci-ndb', file: 'Packages.db', path: 'usr/lib/sysimage/rpm/Packages.db', format: 'ndb', rpmQa: 35, pubkeys: 0 },
])('$dir', ({ dir, file, path, format, rpmQa, pubkeys }) => {
  let expected: ExpectedRow[];
  let parsedFormat: string;
  let packages: Package[];
  beforeAll(() => {
    expected = expectedRows(dir);
    ({ format: parsedFormat, packages } = parseFixture(dir, file, path));
  });

  test(`rpm -qa listed ${rpmQa} headers, ${pubkeys} of them gpg-pubkey`, () => {
    expect(expected).toHaveLength(rpmQa);
    expect(expected.filter((row) => row.name === 'gpg-pubkey')).toHaveLength(pubkeys);
  });

  test(`reports format ${format} and all ${rpmQa} headers exactly as rpm -qa, in its order, signing keys included`, () => {
    expect(parsedFormat).toBe(format);
    expect(packages).toHaveLength(rpmQa);
    expect(packages.filter((p) => p.name === 'gpg-pubkey')).toHaveLength(pubkeys);
    expect(packages.map(asRow)).toEqual(expected);
  });

  test('writes the full version as [epoch:]version-release and the source name as the prefix of its source rpm', () => {
    for (const pkg of packages) {
      expect(pkg.ecosystem).toBe('rpm');
      const evr = `${pkg.upstreamVersion}-${pkg.release}`;
      expect(pkg.version).toBe(pkg.epoch === undefined ? evr : `${pkg.epoch}:${evr}`);
      // Imported signing keys have no source rpm; every real package has one.
      if (pkg.name === 'gpg-pubkey') {
        expect(pkg.source).toBeUndefined();
        continue;
      }
      expect(pkg.source).toBeDefined();
      expect(pkg.sourceVersion?.startsWith(`${pkg.source}-`)).toBe(true);
      expect(pkg.sourceVersion?.endsWith('.src.rpm')).toBe(true);
    }
  });

  test('findings are plain JSON (they are cached per layer)', () => {
    expect(JSON.parse(JSON.stringify(packages))).toEqual(packages);
  });
});

describe('known packages', () => {
  test('RHEL 8.0 UBI: curl-7.61.1-8.el8 and openssl-libs 1:1.1.1-8.el8', () => {
    const { packages } = parseFixture('rhel-8.0-ubi-bdb', 'Packages', 'var/lib/rpm/Packages');
    expect(byName(packages, 'curl')).toEqual({
      ecosystem: 'rpm',
      name: 'curl',
      version: '7.61.1-8.el8',
      upstreamVersion: '7.61.1',
      release: '8.el8',
      arch: 'x86_64',
      source: 'curl',
      sourceVersion: 'curl-7.61.1-8.el8.src.rpm',
      vendor: 'Red Hat, Inc.',
      signatureKeyId: '199e2f91fd431d51',
    });
    expect(byName(packages, 'openssl-libs')).toEqual({
      ecosystem: 'rpm',
      name: 'openssl-libs',
      version: '1:1.1.1-8.el8',
      epoch: 1,
      upstreamVersion: '1.1.1',
      release: '8.el8',
      arch: 'x86_64',
      source: 'openssl',
      sourceVersion: 'openssl-1.1.1-8.el8.src.rpm',
      vendor: 'Red Hat, Inc.',
      signatureKeyId: '199e2f91fd431d51',
    });
  });

  test('CBL-Mariner 2.0: mariner-release, and epoch 1 on ca-certificates-base', () => {
    const { packages } = parseFixture('cbl-mariner-2.0-sqlite', 'rpmdb.sqlite', 'usr/lib/sysimage/rpm/rpmdb.sqlite');
    expect(byName(packages, 'mariner-release')?.version).toBe('2.0-4.cm2');
    expect(byName(packages, 'ca-certificates-base')).toMatchObject({ version: '1:2.0.0-1.cm2', epoch: 1, source: 'ca-certificates' });
    expect(byName(packages, 'curl-libs')).toMatchObject({ source: 'curl', vendor: 'Microsoft Corporation' });
  });

  test('SLES 15 SP3: sles-release-15.3-55.4.1 and source names with hyphens and pluses', () => {
    const { packages } = parseFixture('sles-15.3-bci-ndb', 'Packages.db', 'usr/lib/sysimage/rpm/Packages.db');
    expect(byName(packages, 'sles-release')).toMatchObject({ version: '15.3-55.4.1', arch: 'x86_64', source: 'sles-release' });
    expect(byName(packages, 'libstdc++6')).toMatchObject({ source: 'gcc11', sourceVersion: 'gcc11-11.2.1+git610-1.3.9.src.rpm' });
    expect(byName(packages, 'system-user-root')?.source).toBe('system-user-root');
    expect(byName(packages, 'libreadline7')?.source).toBe('bash');
  });
});

describe('valid empty databases', () => {
  test('a BerkeleyDB hash with no records (bucket pages never written) has no packages', () => {
    expect(parseFixture('empty-bdb', 'Packages', 'var/lib/rpm/Packages')).toEqual({ format: 'bdb', packages: [] });
  });

  test('an rpm --initdb SQLite database has no packages', () => {
    expect(parseFixture('empty-sqlite', 'rpmdb.sqlite', 'var/lib/rpm/rpmdb.sqlite')).toEqual({ format: 'sqlite', packages: [] });
  });

  test('an NDB file whose slots are all free has no packages', () => {
    const real = readFileSync(join(FIXTURES, 'sles-15.3-bci-ndb', 'Packages.db'));
    const empty = Buffer.from(real.subarray(0, 4096));
    for (let slot = 32; slot < 4096; slot += 16) empty.fill(0, slot + 4, slot + 16);
    const findings = rpmAnalyzer.parse({ path: 'usr/lib/sysimage/rpm/Packages.db', data: empty });
    expect(findings.packageDb).toEqual({ ecosystem: 'rpm', format: 'ndb', packages: [] });
  });
});

describe('SQLite in WAL mode', () => {
  test('the fixture is a WAL-mode file, is read, and the caller buffer is left byte for byte as it was', () => {
    const data = readFileSync(join(FIXTURES, 'cbl-mariner-2.0-sqlite', 'rpmdb.sqlite'));
    expect([data[18], data[19]]).toEqual([2, 2]);
    const before = Buffer.from(data);
    const findings = rpmAnalyzer.parse({ path: 'var/lib/rpm/rpmdb.sqlite', data });
    expect(findings.packageDb?.packages).toHaveLength(129);
    expect(data.equals(before)).toBe(true);
  });

  test('the same database in rollback-journal mode reads the same', () => {
    const wal = readFileSync(join(FIXTURES, 'cbl-mariner-2.0-sqlite', 'rpmdb.sqlite'));
    const rollback = Buffer.from(wal);
    rollback[18] = 1;
    rollback[19] = 1;
    const path = 'var/lib/rpm/rpmdb.sqlite';
    expect(rpmAnalyzer.parse({ path, data: rollback })).toEqual(rpmAnalyzer.parse({ path, data: wal }));
  });
});
