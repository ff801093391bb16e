import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AnalyzerError } from '../../src/errors';
import { rpmAnalyzer } from '../../src/scan/analyzers/rpm';

const FIXTURES = join(__dirname, '../fixtures/pkgdb/rpm');
const fixture = (dir: string, file: string): Buffer => readFileSync(join(FIXTURES, dir, file));

describe('rpm analyzer', () => {
  test('identifies itself', () => {
    expect(rpmAnalyzer.name).toBe('rpm');
    expect(rpmAnalyzer.version).toBe(2);
  });

  test.each([
    'var/lib/rpm/Packages',
    'var/lib/rpm/rpmdb.sqlite',
    'usr/lib/sysimage/rpm/rpmdb.sqlite',
    'usr/lib/sysimage/rpm/Packages.db',
    'usr/lib/sysimage/rpm/Packages',
  ])('wants %s', (path) => {
    expect(rpmAnalyzer.wants(path)).toBe(true);
  });

  test.each([
    '/var/lib/rpm/Packages',
    'var/lib/rpm/Name',
    'var/lib/rpm/__db.001',
    'var/lib/rpm/Packages.db',
    'var/lib/rpm/rpmdb.sqlite-wal',
    'usr/lib/sysimage/rpm/rpmdb.sqlite-shm',
    'usr/lib/sysimage/rpm/Index.db',
    'usr/share/rpm/Packages',
    'opt/var/lib/rpm/Packages',
    'var/lib/rpm',
  ])('does not want %s', (path) => {
    expect(rpmAnalyzer.wants(path)).toBe(false);
  });

  test.each([
    { path: 'var/lib/rpm/Packages', dir: 'sles-15.3-bci-ndb', file: 'Packages.db', format: 'ndb', count: 35 },
    { path: 'usr/lib/sysimage/rpm/Packages', dir: 'rhel-8.0-ubi-bdb', file: 'Packages', format: 'bdb', count: 101 },
    { path: 'usr/lib/sysimage/rpm/Packages', dir: 'cbl-mariner-2.0-sqlite', file: 'rpmdb.sqlite', format: 'sqlite', count: 129 },
    { path: 'var/lib/rpm/rpmdb.sqlite', dir: 'rhel-8.0-ubi-subset-be512-bdb', file: 'Packages', format: 'bdb', count: 50 },
  ])('reads $format content found at $path by its magic, not its name', ({ path, dir, file, format, count }) => {
    const findings = rpmAnalyzer.parse({ path, data: fixture(dir, file) });
    expect(findings.packageDb?.format).toBe(format);
    expect(findings.packageDb?.packages).toHaveLength(count);
    expect(findings.os).toBeUndefined();
  });

  test('a failure keeps the context it is given later and names the file', () => {
    let caught: unknown;
    try {
      rpmAnalyzer.parse({ path: 'var/lib/rpm/Packages', data: fixture('sles-15.3-bci-ndb', 'Packages.db').subarray(0, 5000) });
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(AnalyzerError);
    const error = (caught as AnalyzerError).withContext({ image: 'registry.test/sles:15.3', layer: 'sha256:abc' });
    expect(error.context).toEqual({ file: 'var/lib/rpm/Packages', image: 'registry.test/sles:15.3', layer: 'sha256:abc' });
    expect(error.describe()).toMatch(/^rpm NDB: package 1 \(slot 2\) blob at bytes 4096\.\.8256 beyond end of file \(5000 bytes\) \(image registry\.test\/sles:15\.3, layer sha256:abc, file var\/lib\/rpm\/Packages\)$/);
  });
});
