import { applyIgnores } from '../../src/policy/ignore';
import { dayIn } from '../../src/zoned-time';
import type { Finding } from '../../src/vuln/matcher';

const finding = (advisoryId: string, pkg: string, aliases: string[] = [], advisoryPackage = pkg): Finding => ({
  advisoryId,
  aliases,
  package: pkg,
  advisoryPackage,
  installed: '1.0-1',
  fixedVersion: '1.0-2',
  state: 'fixed',
  severity: 'High',
  feed: 'test',
  namespace: 'debian:12',
});

const image = { registry: 'quay.io', repository: 'team-a/app', tag: '1.2' };

describe('ignore list', () => {
  const findings = [finding('RHSA-2024:1', 'curl', ['CVE-2023-38545']), finding('CVE-2024-1', 'libc6', [], 'glibc'), finding('CVE-2024-2', 'zlib')];

  test('matches by id or alias, and by binary or source package name', () => {
    const r = applyIgnores(
      findings,
      image,
      [
        { id: 'CVE-2023-38545', reason: 'no SOCKS proxy' },
        { id: 'CVE-2024-1', package: 'glibc', reason: 'not reachable' },
        { id: 'CVE-2024-2', package: 'openssl', reason: 'wrong package' },
      ],
      '2026-11-23',
    );
    expect(r.ignored.map((i) => i.finding.advisoryId)).toEqual(['RHSA-2024:1', 'CVE-2024-1']);
    expect(r.kept.map((f) => f.advisoryId)).toEqual(['CVE-2024-2']);
  });

  test('an image pattern limits where an entry applies', () => {
    const entry = { id: 'CVE-2024-2', reason: 'team b only', images: ['quay.io/team-b/*'] };
    expect(applyIgnores(findings, image, [entry], '2026-11-23').ignored).toEqual([]);
    expect(applyIgnores(findings, { ...image, repository: 'team-b/app' }, [entry], '2026-11-23').ignored).toHaveLength(1);
  });

  test('an entry stops applying on its expiry day, and says so', () => {
    const entry = { id: 'CVE-2024-2', reason: 'accepted', expires: '2026-11-23' };
    expect(applyIgnores(findings, image, [entry], '2026-11-22').ignored).toHaveLength(1);
    const onTheDay = applyIgnores(findings, image, [entry], '2026-11-23');
    expect(onTheDay.ignored).toEqual([]);
    expect(onTheDay.kept.map((f) => f.advisoryId)).toContain('CVE-2024-2');
    expect(onTheDay.expired).toEqual([{ finding: findings[2], entry }]);
  });

  test('today is the date in the configured time zone', () => {
    const lateUtc = new Date('2026-11-23T23:30:00Z');
    expect(dayIn('UTC', lateUtc)).toBe('2026-11-23');
    expect(dayIn('Asia/Tokyo', lateUtc)).toBe('2026-11-24');
  });
});
