import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AnalyzerError } from '../../src/errors';
import type { Package } from '../../src/inventory/types';
import { apkAnalyzer } from '../../src/scan/analyzers/apk';
import { analyzerError } from './analyzer-test-helpers';

const FIXTURES = join(__dirname, '..', 'fixtures', 'pkgdb', 'apk');
const INSTALLED = 'lib/apk/db/installed';

function fixture(name: string): Buffer {
  return readFileSync(join(FIXTURES, name));
}

/** The package list extracted from a fixture with awk (see the README in the fixture folder). */
function expectedPackages(base: string): Package[] {
  const [header, ...rows] = fixture(`${base}.expected.tsv`).toString('utf8').split('\n').filter((l) => l !== '');
  expect(header).toBe('package\tversion\tarchitecture\torigin');
  return rows.map((row) => {
    const [name, version, arch, source] = row.split('\t');
    return { ecosystem: 'apk', name, version, arch, source };
  });
}

function byName(a: Package, b: Package): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

function parsePackages(data: Buffer | string): Package[] {
  const findings = apkAnalyzer.parse({ path: INSTALLED, data: Buffer.isBuffer(data) ? data : Buffer.from(data) });
  if (!findings.packageDb) throw new Error('no package database in findings');
  return findings.packageDb.packages;
}

function parseError(data: Buffer | string, path = INSTALLED): AnalyzerError {
  return analyzerError(() => apkAnalyzer.parse({ path, data: Buffer.isBuffer(data) ? data : Buffer.from(data) }), path);
}

describe('apk analyzer: paths', () => {
  it('wants only lib/apk/db/installed', () => {
    expect(apkAnalyzer.name).toBe('apk');
    expect(apkAnalyzer.wants('lib/apk/db/installed')).toBe(true);
    expect(apkAnalyzer.wants('lib/apk/db/lock')).toBe(false);
    expect(apkAnalyzer.wants('lib/apk/db/scripts.tar')).toBe(false);
    expect(apkAnalyzer.wants('usr/lib/apk/db/installed.old')).toBe(false);
  });

  it('refuses a file it did not ask for', () => {
    parseError('P:musl\nV:1.2.4-r2\n', 'lib/apk/db/triggers');
  });
});

describe('apk analyzer: real installed databases', () => {
  it.each([
    ['alpine-3.10-image', 14],
    ['alpine-3.14-image', 14],
    ['alpine-3.17-cdxgen', 15],
    ['alpine-3.18.9-x86_64', 15],
    ['alpine-3.20.3-x86_64', 14],
  ])('%s has the exact package set (%i packages)', (base, count) => {
    const findings = apkAnalyzer.parse({ path: INSTALLED, data: fixture(`${base}.installed`) });
    expect(findings.packageDb?.ecosystem).toBe('apk');
    expect(findings.packageDb?.format).toBe('installed');
    const packages = findings.packageDb?.packages ?? [];
    expect(packages).toHaveLength(count);
    expect([...packages].sort(byName)).toEqual(expectedPackages(base));
  });

  it('reads Alpine 3.10 musl and busybox, and openssl as the origin of libssl1.1', () => {
    const packages = parsePackages(fixture('alpine-3.10-image.installed'));
    expect(packages.find((p) => p.name === 'musl')).toEqual({
      ecosystem: 'apk',
      name: 'musl',
      version: '1.1.22-r3',
      arch: 'x86_64',
      source: 'musl',
    });
    expect(packages.find((p) => p.name === 'busybox')?.version).toBe('1.30.1-r3');
    expect(packages.find((p) => p.name === 'libssl1.1')?.source).toBe('openssl');
  });

  it('reads CRLF line ends the same as LF', () => {
    const lf = fixture('alpine-3.18.9-x86_64.installed').toString('utf8');
    expect(parsePackages(lf.replace(/\n/g, '\r\n'))).toEqual(parsePackages(lf));
  });

  it('uses the package name as origin when o: is absent', () => {
    expect(parsePackages('P:hello\nV:2.12-r0\nA:aarch64\n')).toEqual([
      { ecosystem: 'apk', name: 'hello', version: '2.12-r0', arch: 'aarch64', source: 'hello' },
    ]);
  });

  it('reads a file with no record as an empty database', () => {
    expect(parsePackages('')).toEqual([]);
    expect(parsePackages('\n\n')).toEqual([]);
  });

  it('returns plain JSON, as the layer cache stores it', () => {
    const findings = apkAnalyzer.parse({ path: INSTALLED, data: fixture('alpine-3.20.3-x86_64.installed') });
    expect(JSON.parse(JSON.stringify(findings))).toEqual(findings);
  });
});

describe('apk analyzer: garbage fails with the file and line', () => {
  it('rejects binary data', () => {
    const junk = Buffer.concat([Buffer.from('P:musl\n'), randomBytes(256), Buffer.from([0])]);
    expect(parseError(junk).message).toMatch(/not text: control character on line \d+/);
  });

  it('rejects lines that are not K:value', () => {
    expect(parseError('hello world\n').message).toContain('line 1 is not a "K:value" line');
    expect(parseError('P:musl\nV:1.2.4-r2\nPackage: musl\n').message).toContain('line 3 is not');
  });

  it('names the line of a broken record in the middle of a real file', () => {
    const lines = fixture('alpine-3.20.3-x86_64.installed').toString('utf8').split('\n');
    const target = lines.findIndex((l, i) => i > 300 && l.startsWith('V:'));
    lines[target] = 'V:1.0 beta';
    expect(parseError(lines.join('\n')).message).toContain(`invalid version "1.0 beta" on line ${target + 1}`);
  });

  it('rejects records without a name or a version', () => {
    expect(parseError('P:musl\nV:1.2.4-r2\n\nC:Q1abc=\nV:1.0-r0\n').message).toContain('record at line 4 has no P: line');
    expect(parseError('P:musl\nA:x86_64\n').message).toContain('record at line 1 has no V: line');
  });

  it('rejects a repeated identity key and an invalid name', () => {
    expect(parseError('P:musl\nV:1-r0\nP:busybox\n').message).toContain('P: repeated on line 3');
    expect(parseError('P:mu sl\nV:1-r0\n').message).toContain('invalid package name "mu sl" on line 1');
  });
});
