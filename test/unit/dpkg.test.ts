import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { AnalyzerError } from '../../src/errors';
import type { Package } from '../../src/inventory/types';
import { dpkgAnalyzer } from '../../src/scan/analyzers/dpkg';
import { analyzerError } from './analyzer-test-helpers';

const FIXTURES = join(__dirname, '..', 'fixtures', 'pkgdb', 'dpkg');
const STATUS = 'var/lib/dpkg/status';

interface Expected {
  name: string;
  version: string;
  arch: string;
  source: string;
  sourceVersion: string;
  statusAbbrev: string;
}

function fixture(name: string): Buffer {
  return readFileSync(join(FIXTURES, name));
}

/** Rows dpkg-query printed for a fixture (see the README in the fixture folder). */
function expectedRows(base: string): Expected[] {
  const [header, ...rows] = fixture(`${base}.expected.tsv`).toString('utf8').split('\n').filter((l) => l !== '');
  expect(header).toBe('package\tversion\tarchitecture\tsource\tsource_version\tstatus_abbrev');
  return rows.map((row) => {
    const [name, version, arch, source, sourceVersion, statusAbbrev] = row.split('\t');
    return { name, version, arch, source, sourceVersion, statusAbbrev };
  });
}

// dpkg-query's second status letter: i installed, U unpacked, F half-configured, W/t triggers.
const FILES_ON_DISK = new Set(['i', 'U', 'F', 'W', 't']);

function expectedPackages(base: string): Package[] {
  return expectedRows(base)
    .filter((row) => FILES_ON_DISK.has(row.statusAbbrev[1]))
    .map((row) => ({
      ecosystem: 'dpkg',
      name: row.name,
      version: row.version,
      arch: row.arch,
      source: row.source,
      sourceVersion: row.sourceVersion,
    }));
}

function byName(a: Package, b: Package): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

function parsePackages(path: string, data: Buffer | string): Package[] {
  const findings = dpkgAnalyzer.parse({ path, data: Buffer.isBuffer(data) ? data : Buffer.from(data) });
  if (!findings.packageDb) throw new Error('no package database in findings');
  return findings.packageDb.packages;
}

function parseError(path: string, data: Buffer | string): AnalyzerError {
  return analyzerError(() => parsePackages(path, data));
}

/** Distroless layout: one file per package named after it, each with an md5sums neighbour. */
function splitIntoStatusD(status: string): Array<{ path: string; data: string }> {
  const stanzas = status.split(/\n\n+/).filter((s) => s.trim() !== '');
  return stanzas.flatMap((stanza) => {
    const name = /^Package: (\S+)$/m.exec(stanza)?.[1];
    if (!name) throw new Error(`fixture stanza without Package: ${stanza.slice(0, 40)}`);
    const withoutStatus = stanza.replace(/^Status: .*\n/m, '');
    return [
      { path: `var/lib/dpkg/status.d/${name}`, data: `${withoutStatus}\n` },
      { path: `var/lib/dpkg/status.d/${name}.md5sums`, data: `d41d8cd98f00b204e9800998ecf8427e  usr/share/doc/${name}/copyright\n` },
    ];
  });
}

describe('dpkg analyzer: paths', () => {
  it('wants the status file and each file directly in status.d except md5sums', () => {
    expect(dpkgAnalyzer.name).toBe('dpkg');
    expect(dpkgAnalyzer.wants('var/lib/dpkg/status')).toBe(true);
    expect(dpkgAnalyzer.wants('var/lib/dpkg/status.d/base')).toBe(true);
    expect(dpkgAnalyzer.wants('var/lib/dpkg/status.d/libssl1.1')).toBe(true);
    expect(dpkgAnalyzer.wants('var/lib/dpkg/status.d/libc6.md5sums')).toBe(false);
    expect(dpkgAnalyzer.wants('var/lib/dpkg/status.d/')).toBe(false);
    expect(dpkgAnalyzer.wants('var/lib/dpkg/status.d/nested/libc6')).toBe(false);
    expect(dpkgAnalyzer.wants('var/lib/dpkg/status-old')).toBe(false);
    expect(dpkgAnalyzer.wants('var/lib/dpkg/available')).toBe(false);
    expect(dpkgAnalyzer.wants('usr/var/lib/dpkg/status')).toBe(false);
  });

  it('refuses a file it did not ask for', () => {
    const error = parseError('var/lib/dpkg/status.d/libc6.md5sums', 'x');
    expect(error.context.file).toBe('var/lib/dpkg/status.d/libc6.md5sums');
  });
});

describe('dpkg analyzer: real status files match dpkg-query', () => {
  it.each([
    ['debian-10-nginx', 84],
    ['debian-11', 96],
    ['ubuntu-22.04', 101],
  ])('%s has the exact package set (%i packages)', (base, count) => {
    const findings = dpkgAnalyzer.parse({ path: STATUS, data: fixture(`${base}.status`) });
    expect(findings.packageDb?.ecosystem).toBe('dpkg');
    expect(findings.packageDb?.format).toBe('status');
    const packages = findings.packageDb?.packages ?? [];
    expect(packages).toHaveLength(count);
    expect([...packages].sort(byName)).toEqual(expectedPackages(base));
  });

  it('reads Ubuntu libc6 with its glibc source', () => {
    const libc6 = parsePackages(STATUS, fixture('ubuntu-22.04.status')).find((p) => p.name === 'libc6');
    expect(libc6).toEqual({
      ecosystem: 'dpkg',
      name: 'libc6',
      version: '2.35-0ubuntu3.1',
      arch: 'amd64',
      source: 'glibc',
      sourceVersion: '2.35-0ubuntu3.1',
    });
  });

  it('takes the source version from "Source: name (version)" when it differs (binNMU, epoch)', () => {
    const packages = parsePackages(STATUS, fixture('debian-10-nginx.status'));
    expect(packages.find((p) => p.name === 'bsdutils')).toMatchObject({
      version: '1:2.33.1-0.1',
      source: 'util-linux',
      sourceVersion: '2.33.1-0.1',
    });
    expect(packages.find((p) => p.name === 'mawk')).toMatchObject({
      version: '1.3.3-17+b3',
      source: 'mawk',
      sourceVersion: '1.3.3-17',
    });
  });

  it('keeps packages whose files are on disk and drops removed, purged and half-installed ones', () => {
    const packages = parsePackages(STATUS, fixture('debian-11-mixed-status.status'));
    const names = packages.map((p) => p.name);
    expect(packages).toHaveLength(93);
    expect([...packages].sort(byName)).toEqual(expectedPackages('debian-11-mixed-status'));
    expect(names).toEqual(expect.arrayContaining(['libssl1.1', 'tzdata', 'libc-bin', 'libzstd1', 'libxxhash0']));
    expect(names).not.toContain('e2fsprogs');
    expect(names).not.toContain('hostname');
    expect(names).not.toContain('libgcrypt20');
  });

  it('reads CRLF line ends the same as LF', () => {
    const lf = fixture('debian-11.status').toString('utf8');
    const crlf = lf.replace(/\n/g, '\r\n');
    expect(parsePackages(STATUS, crlf)).toEqual(parsePackages(STATUS, lf));
  });

  it('returns plain JSON, as the layer cache stores it', () => {
    const findings = dpkgAnalyzer.parse({ path: STATUS, data: fixture('debian-10-nginx.status') });
    expect(JSON.parse(JSON.stringify(findings))).toEqual(findings);
  });
});

describe('dpkg analyzer: distroless status.d', () => {
  it('reads one stanza per file without Status and ignores md5sums files', () => {
    const files = splitIntoStatusD(fixture('ubuntu-22.04.status').toString('utf8'));
    const wanted = files.filter((f) => dpkgAnalyzer.wants(f.path));
    expect(files).toHaveLength(202);
    expect(wanted).toHaveLength(101);
    expect(wanted.some((f) => /^Status:/m.test(f.data))).toBe(false);
    const packages = wanted.flatMap((f) => {
      const findings = dpkgAnalyzer.parse({ path: f.path, data: Buffer.from(f.data) });
      expect(findings.packageDb?.format).toBe('status.d');
      return findings.packageDb?.packages ?? [];
    });
    expect(packages.sort(byName)).toEqual(expectedPackages('ubuntu-22.04'));
  });

  it('reads a status.d file that holds several stanzas', () => {
    const status = fixture('debian-11.status').toString('utf8');
    const packages = parsePackages('var/lib/dpkg/status.d/base', status);
    expect(packages).toHaveLength(96);
  });
});

describe('dpkg analyzer: empty databases', () => {
  it('reads a zero-byte status as an empty database', () => {
    const findings = dpkgAnalyzer.parse({ path: STATUS, data: Buffer.alloc(0) });
    expect(findings).toEqual({ packageDb: { ecosystem: 'dpkg', format: 'status', packages: [] } });
  });

  it('reads a status holding only blank lines as an empty database', () => {
    expect(parsePackages(STATUS, '\n\n \n')).toEqual([]);
  });

  it('reads a status with only removed packages as an empty database', () => {
    const status = 'Package: foo\nStatus: purge ok not-installed\n\nPackage: bar\nStatus: deinstall ok config-files\nVersion: 1.0-1\n';
    expect(parsePackages(STATUS, status)).toEqual([]);
  });
});

describe('dpkg analyzer: garbage fails with the file and line', () => {
  const real = fixture('debian-10-nginx.status').toString('utf8');

  it('rejects binary data (a gzipped status)', () => {
    const error = parseError(STATUS, gzipSync(fixture('debian-10-nginx.status')));
    expect(error.kind).toBe('analyzer');
    expect(error.context.file).toBe(STATUS);
    expect(error.message).toMatch(/not text: control character on line \d+/);
  });

  it('rejects text that is not deb822', () => {
    const error = parseError(STATUS, 'hello world\nthis is not a status file\n');
    expect(error.message).toContain('line 1 is not a "Field: value" line');
  });

  it('names the line of a broken field in the middle of a real file', () => {
    const lines = real.split('\n');
    const target = lines.findIndex((l, i) => i > 1000 && l.startsWith('Version: '));
    lines[target] = 'Version 1.0';
    const error = parseError('var/lib/dpkg/status.d/base', lines.join('\n'));
    expect(error.context.file).toBe('var/lib/dpkg/status.d/base');
    expect(error.message).toContain(`line ${target + 1} is not`);
  });

  it('rejects a stanza without Package', () => {
    const error = parseError(STATUS, 'Package: a\nVersion: 1\n\nStatus: install ok installed\nVersion: 1.0\n');
    expect(error.message).toContain('stanza at line 4 has no Package field');
  });

  it('rejects an installed stanza without Version', () => {
    const error = parseError(STATUS, 'Package: zlib1g\nStatus: install ok installed\nArchitecture: amd64\n');
    expect(error.message).toContain('package zlib1g (line 1) has no Version');
  });

  it('rejects a status.d stanza without Version', () => {
    const error = parseError('var/lib/dpkg/status.d/libc6', 'Package: libc6\nArchitecture: amd64\n');
    expect(error.context.file).toBe('var/lib/dpkg/status.d/libc6');
    expect(error.message).toContain('has no Version');
  });

  it('rejects a continuation line with nothing to continue', () => {
    const error = parseError(STATUS, ' continued\nPackage: a\nVersion: 1\n');
    expect(error.message).toContain('continuation line 1');
  });

  it('rejects an unknown Status', () => {
    const error = parseError(STATUS, 'Package: a\nStatus: install ok maybe\nVersion: 1\n');
    expect(error.message).toContain('invalid Status "install ok maybe" on line 2');
  });

  it('rejects versions and sources dpkg would not accept', () => {
    expect(parseError(STATUS, 'Package: a\nVersion: 1.0 beta\n').message).toContain('invalid Version "1.0 beta" on line 2');
    expect(parseError(STATUS, 'Package: a\nVersion: x:1.0\n').message).toContain('invalid Version');
    expect(parseError(STATUS, 'Package: a\nVersion: 1.0-\n').message).toContain('invalid Version');
    expect(parseError(STATUS, 'Package: a\nVersion: 1\nSource: b (1 2)\n').message).toContain('invalid Source "b (1 2)" on line 3');
    expect(parseError(STATUS, 'Package: a b\nVersion: 1\n').message).toContain('invalid Package "a b" on line 1');
  });

  it('rejects a field given twice in one stanza', () => {
    const error = parseError(STATUS, 'Package: a\nVersion: 1\nversion: 2\n');
    expect(error.message).toContain('field version repeated on line 3');
  });
});
