import type { Inventory } from '../../src/inventory/types';
import { resolvePolicies } from '../../src/policy/evaluate';
import { assessImage, policyFingerprint, unknownVerdict, type AssessInput } from '../../src/policy/verdict';
import { parseReference } from '../../src/registry/reference';
import { openDatabase } from '../../src/store/database';
import { VerdictStore } from '../../src/store/verdicts';
import type { Finding } from '../../src/vuln/matcher';

const inventory: Inventory = {
  os: { id: 'rhel', version: '8.0' },
  packages: [],
  packageDatabases: [],
  config: { labels: {}, env: [], exposedPorts: [], user: '1001', created: '2024-01-01T00:00:00Z' },
  layers: [],
  warnings: [],
};

const high: Finding = {
  advisoryId: 'RHSA-2019:3949',
  aliases: ['CVE-2019-0001'],
  package: 'kernel-headers',
  advisoryPackage: 'kernel-headers',
  installed: '4.18.0-80.el8',
  fixedVersion: '4.18.0-147.el8',
  state: 'fixed',
  severity: 'High',
  feed: 'oval',
  namespace: 'rhel:8',
};

function input(over: Partial<AssessInput> = {}): AssessInput {
  return {
    digest: 'sha256:aa',
    inventory,
    findings: [high],
    sightings: [{ image: parseReference('127.0.0.1:5000/ubi8:8.0') }],
    policies: resolvePolicies('default', []),
    policyFingerprint: policyFingerprint({ profile: 'default' }),
    ignores: [],
    today: '2026-11-23',
    now: new Date('2026-11-23T10:00:00Z'),
    ...over,
  };
}

describe('assessImage', () => {
  it('is non-compliant on a fixable High finding and names the policy and the advisory', () => {
    const { verdict } = assessImage(input());
    expect(verdict.state).toBe('non-compliant');
    expect(verdict.failedPolicies.map((p) => p.name)).toEqual(['Fixable Critical and High vulnerabilities']);
    expect(verdict.failedPolicies[0].violations[0]).toContain('RHSA-2019:3949');
    expect(verdict.summary).toEqual({ Critical: 0, High: 1, Medium: 0, Low: 0, Unknown: 0, fixable: 1 });
  });

  it('is compliant when an active ignore entry covers the finding, and records an expired one', () => {
    const ignored = assessImage(input({ ignores: [{ id: 'CVE-2019-0001', reason: 'mitigated', expires: '2026-12-01' }] }));
    expect(ignored.verdict.state).toBe('compliant');
    expect(ignored.verdict.summary?.High).toBe(0);
    const lapsed = assessImage(input({ ignores: [{ id: 'CVE-2019-0001', reason: 'mitigated', expires: '2026-11-23' }] }));
    expect(lapsed.verdict.state).toBe('non-compliant');
    expect(lapsed.verdict.inputs.expiredIgnores).toEqual(['CVE-2019-0001@2026-11-23']);
  });

  it('fails, never passes, when no feed covers the OS', () => {
    const { verdict } = assessImage(input({ findings: null }));
    expect(verdict.state).toBe('non-compliant');
    expect(verdict.summary).toBeNull();
    expect(verdict.failedPolicies[0].violations[0]).toContain('cannot be evaluated');
  });

  it('takes the worst over every sighting of the digest', () => {
    const policies = resolvePolicies('default', [{ name: 'Latest tag', rule: 'latest-tag', enforcement: 'enforce' }]);
    const sightings = [{ image: parseReference('127.0.0.1:5000/app:1.0') }, { image: parseReference('127.0.0.1:5000/app:latest') }];
    const { verdict, sightings: each } = assessImage(input({ findings: [], policies, sightings }));
    expect(verdict.state).toBe('non-compliant');
    expect(verdict.failedPolicies.map((p) => p.name)).toEqual(['Latest tag']);
    expect(each.map((s) => s.results.find((r) => r.name === 'Latest tag')!.violations.length)).toEqual([0, 1]);
  });
});

describe('VerdictStore', () => {
  it('keeps the history of changes with their cause, and nothing when a re-evaluation changes nothing', () => {
    const db = openDatabase(':memory:');
    const store = new VerdictStore(db);
    const t = (h: number) => new Date(Date.UTC(2026, 10, 23, h));
    const first = store.record(unknownVerdict('sha256:aa', 'corrupt gzip in layer sha256:bb', 'p1'), t(1));
    expect(first.change).toMatchObject({ from: null, to: 'unknown', cause: 'new-image', detail: { reason: 'corrupt gzip in layer sha256:bb' } });

    const scanned = assessImage(input({ policyFingerprint: 'p1' })).verdict;
    expect(store.record(scanned, t(2)).change).toMatchObject({ from: 'unknown', to: 'non-compliant', cause: 'scanned' });
    expect(store.record(scanned, t(3)).changed).toBe(false);

    const ignored = assessImage(input({ policyFingerprint: 'p2', ignores: [{ id: 'RHSA-2019:3949', reason: 'accepted' }] })).verdict;
    expect(store.record(ignored, t(4)).change).toMatchObject({ from: 'non-compliant', to: 'compliant', cause: 'policy-change' });

    const lapsed = assessImage(input({ policyFingerprint: 'p2', ignores: [{ id: 'RHSA-2019:3949', reason: 'accepted', expires: '2026-11-22' }] })).verdict;
    expect(store.record(lapsed, t(5)).change).toMatchObject({ from: 'compliant', to: 'non-compliant', cause: 'ignore-expired' });

    const fixedFeed = assessImage(input({ policyFingerprint: 'p2', findings: [] })).verdict;
    expect(store.record(fixedFeed, t(6)).change).toMatchObject({ from: 'non-compliant', to: 'compliant', cause: 'feed-data' });

    expect(store.history('sha256:aa').map((c) => c.to)).toEqual(['unknown', 'non-compliant', 'compliant', 'non-compliant', 'compliant']);
    expect(store.counts()).toEqual({ compliant: 1, 'non-compliant': 0, unknown: 0 });
    expect(store.changesBetween(t(4).toISOString(), t(6).toISOString())).toHaveLength(2);
    db.close();
  });
});
