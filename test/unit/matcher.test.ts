import { FeedError } from '../../src/errors';
import type { Inventory, Package } from '../../src/inventory/types';
import { AdvisoryStore } from '../../src/store/advisories';
import { openDatabase } from '../../src/store/database';
import type { Advisory } from '../../src/vuln/advisory';
import { AdvisoryIndex, matchInventory } from '../../src/vuln/matcher';
import { namespacesFor } from '../../src/vuln/os-namespaces';

const adv = (a: Partial<Advisory> & Pick<Advisory, 'id' | 'namespace' | 'ecosystem' | 'package' | 'state'>): Advisory => ({
  aliases: [],
  severity: 'High',
  references: [],
  feed: 'test',
  ...a,
});

const inv = (os: Inventory['os'], packages: Package[]): Pick<Inventory, 'os' | 'packages'> => ({ os, packages });

describe('namespaces of an OS', () => {
  test.each([
    [{ id: 'debian', version: '12' }, ['debian:12']],
    [{ id: 'debian', version: '10.1' }, ['debian:10']],
    [{ id: 'ubuntu', version: '22.04' }, ['ubuntu:22.04']],
    [{ id: 'alpine', version: '3.18.9' }, ['alpine:3.18']],
    [{ id: 'rhel', version: '8.1' }, ['rhel:8']],
    [{ id: 'centos', version: '7' }, ['centos:7', 'rhel:7']],
    [{ id: 'sles', version: '15.3' }, ['sles:15.3']],
  ])('%j → %j', (os, expected) => expect(namespacesFor(os)).toEqual(expected));

  test('no OS, no namespace', () => expect(namespacesFor(null)).toEqual([]));
});

describe('matching', () => {
  const debian = { id: 'debian', version: '11' };
  const libc6: Package = { ecosystem: 'dpkg', name: 'libc6', version: '2.31-13+deb11u5', source: 'glibc', sourceVersion: '2.31-13+deb11u5' };

  test('dpkg is matched by source package and source version', () => {
    const index = new AdvisoryIndex([
      adv({ id: 'CVE-1', namespace: 'debian:11', ecosystem: 'dpkg', package: 'glibc', state: 'fixed', fixedVersion: '2.31-13+deb11u6' }),
      adv({ id: 'CVE-2', namespace: 'debian:11', ecosystem: 'dpkg', package: 'glibc', state: 'fixed', fixedVersion: '2.31-13+deb11u5' }),
      adv({ id: 'CVE-3', namespace: 'debian:11', ecosystem: 'dpkg', package: 'libc6', state: 'fixed', fixedVersion: '9.0' }),
      adv({ id: 'CVE-4', namespace: 'debian:12', ecosystem: 'dpkg', package: 'glibc', state: 'fixed', fixedVersion: '9.0' }),
    ]);
    const r = matchInventory(inv(debian, [libc6]), index);
    expect(r.covered).toBe(true);
    expect(r.findings.map((f) => [f.advisoryId, f.package, f.installed, f.fixedVersion])).toEqual([['CVE-1', 'libc6', '2.31-13+deb11u5', '2.31-13+deb11u6']]);
  });

  test('unfixed and will-not-fix apply to every version and are kept apart; not-affected never matches', () => {
    const index = new AdvisoryIndex([
      adv({ id: 'CVE-U', namespace: 'debian:11', ecosystem: 'dpkg', package: 'glibc', state: 'unfixed', severity: 'Low' }),
      adv({ id: 'CVE-W', namespace: 'debian:11', ecosystem: 'dpkg', package: 'glibc', state: 'will-not-fix', severity: 'Medium' }),
      adv({ id: 'CVE-N', namespace: 'debian:11', ecosystem: 'dpkg', package: 'glibc', state: 'not-affected' }),
    ]);
    const r = matchInventory(inv(debian, [libc6]), index);
    expect(r.findings.map((f) => [f.advisoryId, f.state, f.fixedVersion])).toEqual([
      ['CVE-W', 'will-not-fix', undefined],
      ['CVE-U', 'unfixed', undefined],
    ]);
    expect(r.notAffected).toEqual([{ advisoryId: 'CVE-N', package: 'libc6', installed: '2.31-13+deb11u5', feed: 'test' }]);
  });

  test('rpm EVR comparison honours the epoch', () => {
    const os = { id: 'rhel', version: '8.1' };
    const openssl: Package = { ecosystem: 'rpm', name: 'openssl-libs', version: '1:1.1.1-8.el8', epoch: 1, upstreamVersion: '1.1.1', release: '8.el8' };
    const index = new AdvisoryIndex([
      adv({ id: 'RHSA-A', namespace: 'rhel:8', ecosystem: 'rpm', package: 'openssl-libs', state: 'fixed', fixedVersion: '1:1.1.1c-2.el8' }),
      adv({ id: 'RHSA-B', namespace: 'rhel:8', ecosystem: 'rpm', package: 'openssl-libs', state: 'fixed', fixedVersion: '1.1.1z-1.el8' }),
    ]);
    expect(matchInventory(inv(os, [openssl]), index).findings.map((f) => f.advisoryId)).toEqual(['RHSA-A']);
  });

  test('apk by origin; OSV ranges and explicit versions', () => {
    const os = { id: 'alpine', version: '3.10.4' };
    const libssl: Package = { ecosystem: 'apk', name: 'libssl1.1', version: '1.1.1d-r2', source: 'openssl' };
    const index = new AdvisoryIndex([
      adv({ id: 'CVE-R', namespace: 'alpine:3.10', ecosystem: 'apk', package: 'openssl', state: 'fixed', ranges: [{ introduced: '0', fixed: '1.1.1g-r0' }] }),
      adv({ id: 'CVE-S', namespace: 'alpine:3.10', ecosystem: 'apk', package: 'openssl', state: 'fixed', ranges: [{ introduced: '1.1.1e-r0', fixed: '1.1.1g-r0' }] }),
      adv({ id: 'CVE-V', namespace: 'alpine:3.10', ecosystem: 'apk', package: 'openssl', state: 'unfixed', versions: ['1.1.1d-r2'] }),
      adv({ id: 'CVE-X', namespace: 'alpine:3.10', ecosystem: 'apk', package: 'openssl', state: 'unfixed', versions: ['1.1.1c-r0'] }),
    ]);
    const r = matchInventory(inv(os, [libssl]), index);
    expect(r.findings.map((f) => [f.advisoryId, f.fixedVersion])).toEqual([
      ['CVE-R', '1.1.1g-r0'],
      ['CVE-V', undefined],
    ]);
  });

  test('an OS no feed covers is reported as not covered, not as clean', () => {
    const index = new AdvisoryIndex([adv({ id: 'CVE-1', namespace: 'debian:12', ecosystem: 'dpkg', package: 'glibc', state: 'unfixed' })]);
    const r = matchInventory(inv({ id: 'alpine', version: '3.18.9' }, []), index);
    expect(r).toEqual({ namespaces: ['alpine:3.18'], covered: false, findings: [], notAffected: [] });
    expect(matchInventory(inv(null, [libc6]), index).covered).toBe(false);
  });
});

describe('advisory store', () => {
  async function* yieldAll(items: Advisory[], failAfter?: number): AsyncIterable<Advisory> {
    let n = 0;
    for (const a of items) {
      if (failAfter !== undefined && n++ === failAfter) throw new FeedError('unexpected end of JSON at byte 1234', { file: 'bad.json' });
      yield a;
    }
  }
  const many = (prefix: string, n: number) =>
    Array.from({ length: n }, (_, i) => adv({ id: `${prefix}-${i}`, namespace: 'debian:11', ecosystem: 'dpkg', package: `p${i}`, state: 'fixed', fixedVersion: '1.0' }));

  test('an import is atomic: a failing import leaves the previous advisories of the feed', async () => {
    const db = openDatabase(':memory:');
    const store = new AdvisoryStore(db);
    const good = await store.importFeed({ name: 'debian', format: 'debian-tracker', source: 'good.json' }, yieldAll(many('GOOD', 1200)));
    expect(good).toMatchObject({ advisories: 1200, namespaces: ['debian:11'] });
    await expect(
      store.importFeed({ name: 'debian', format: 'debian-tracker', source: 'bad.json' }, yieldAll(many('BAD', 1200), 700)),
    ).rejects.toThrow('unexpected end of JSON at byte 1234');
    expect([...store.advisories()].map((a) => a.id).filter((id) => id.startsWith('GOOD'))).toHaveLength(1200);
    expect([...store.advisories()].some((a) => a.id.startsWith('BAD'))).toBe(false);
    expect(store.feed('debian')).toMatchObject({ source: 'good.json', advisories: 1200 });
  });

  test('a successful import replaces the feed, and only that feed', async () => {
    const db = openDatabase(':memory:');
    const store = new AdvisoryStore(db);
    await store.importFeed({ name: 'a', format: 'osv', source: 'a' }, yieldAll(many('A', 3)));
    await store.importFeed({ name: 'b', format: 'osv', source: 'b' }, yieldAll(many('B', 2)));
    await store.importFeed({ name: 'a', format: 'osv', source: 'a2' }, yieldAll(many('A2', 1)));
    expect([...store.advisories()].map((a) => a.id).sort()).toEqual(['A2-0', 'B-0', 'B-1']);
    const round = [...store.advisories(['debian:11'])].find((a) => a.id === 'A2-0');
    expect(round).toEqual(adv({ id: 'A2-0', namespace: 'debian:11', ecosystem: 'dpkg', package: 'p0', state: 'fixed', fixedVersion: '1.0', feed: 'a' }));
  });
});
