import { ConfigError } from '../../src/errors';
import type { Inventory } from '../../src/inventory/types';
import { evaluatePolicies, resolvePolicies, type PolicyConfig } from '../../src/policy/evaluate';
import type { PolicySubject } from '../../src/policy/rule';
import { parseReference } from '../../src/registry/reference';
import type { Finding } from '../../src/vuln/matcher';

const inventory: Inventory = {
  os: { id: 'debian', version: '12' },
  packages: [{ ecosystem: 'dpkg', name: 'apt', version: '2.6.1' }],
  packageDatabases: [],
  config: { labels: {}, env: [], exposedPorts: [], user: '1000', created: '2024-01-01T00:00:00Z' },
  layers: [],
  warnings: [],
};

const mediumUnfixed: Finding = { advisoryId: 'CVE-2024-0001', aliases: [], package: 'libc6', advisoryPackage: 'glibc', installed: '2.36-9', state: 'unfixed', severity: 'Medium', feed: 'debian', namespace: 'debian:12' };

function subject(over: Partial<PolicySubject & { source: string }> = {}): PolicySubject & { source?: string } {
  return { image: parseReference('quay.io/org/app:1.0'), inventory, findings: [mediumUnfixed], now: new Date('2024-02-01T00:00:00Z'), ...over };
}

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  throw new Error('expected a ConfigError');
}

describe('resolvePolicies', () => {
  it('gives the default profile one enforced fixable Critical/High vulnerability policy', () => {
    const policies = resolvePolicies('default', []);
    expect(policies.map((p) => [p.rule, p.enforcement])).toEqual([['vulnerabilities', 'enforce']]);
    // An unfixed Medium finding does not fail the default profile...
    expect(evaluatePolicies(policies, subject()).compliant).toBe(true);
  });

  it('gives the hardened profile vulnerabilities, root-user, latest-tag and package-manager', () => {
    const policies = resolvePolicies('hardened', []);
    expect(policies.map((p) => `${p.rule}:${p.enforcement}`)).toEqual(['vulnerabilities:enforce', 'root-user:enforce', 'latest-tag:enforce', 'package-manager:inform']);
    // ...but does fail the hardened one, which counts any severity, fixable or not.
    const { results, compliant } = evaluatePolicies(policies, subject());
    expect(compliant).toBe(false);
    expect(results.find((r) => r.rule === 'vulnerabilities')?.violations).toHaveLength(1);
    expect(results.find((r) => r.rule === 'package-manager')?.violations.map((v) => v.package)).toEqual(['apt']);
  });

  it('lets a configured policy replace the profile policy of the same name and add new ones', () => {
    const configured: PolicyConfig[] = [
      { name: 'Latest tag', rule: 'latest-tag', enforcement: 'inform', severity: 'Medium' },
      { name: 'Old images', rule: 'image-age', enforcement: 'enforce', maxDays: 10, description: 'too old' },
    ];
    const policies = resolvePolicies('hardened', configured);
    expect(policies).toHaveLength(5);
    const latest = policies.find((p) => p.name === 'Latest tag');
    expect([latest?.enforcement, latest?.severity]).toEqual(['inform', 'Medium']);
    const old = evaluatePolicies(policies, subject()).results.find((r) => r.name === 'Old images');
    expect(old?.description).toBe('too old');
    expect(old?.violations[0].message).toContain('31 days ago');
  });

  it('turns allowedRegistries into an enforced allowed-registries policy', () => {
    const policies = resolvePolicies('default', [], { cluster: ['docker.io/library/*'], namespaces: {} });
    expect(policies.map((p) => `${p.rule}:${p.enforcement}`)).toContain('allowed-registries:enforce');
    expect(evaluatePolicies(policies, subject()).compliant).toBe(false);
    expect(evaluatePolicies(policies, subject({ image: parseReference('alpine:3') })).compliant).toBe(true);
  });

  it('names the exact key of an unknown option, a bad option value or an unknown rule', () => {
    const bad = (p: PolicyConfig) => configError(() => resolvePolicies('default', [{ name: 'ok', rule: 'latest-tag', enforcement: 'inform' }, p]));
    expect(bad({ name: 'v', rule: 'vulnerabilities', enforcement: 'enforce', fixAge: 3 }).context.key).toBe('policies.rules[1].fixAge');
    expect(bad({ name: 'v', rule: 'vulnerabilities', enforcement: 'enforce', cvssAtLeast: 11 }).context.key).toBe('policies.rules[1].cvssAtLeast');
    expect(bad({ name: 'a', rule: 'image-age', enforcement: 'enforce', maxDays: -1 }).context.key).toBe('policies.rules[1].maxDays');
    expect(bad({ name: 'r', rule: 'no-such-rule', enforcement: 'enforce' }).message).toMatch(/^policies\.rules\[1\]\.rule: unknown rule "no-such-rule"/);
    expect(bad({ name: 'l', rule: 'latest-tag', enforcement: 'enforce', severity: 'Severe' }).context.key).toBe('policies.rules[1].severity');
    expect(bad({ name: 's', rule: 'latest-tag', enforcement: 'enforce', scope: { teams: [] } as PolicyConfig['scope'] }).context.key).toBe('policies.rules[1].scope.teams');
  });

  it('names the key of a bad allowed-registries pattern', () => {
    const e = configError(() => resolvePolicies('default', [], { cluster: [''], namespaces: {} }));
    expect(e.context.key).toBe('policies.allowedRegistries.cluster[0]');
  });
});

describe('evaluatePolicies', () => {
  it('is non-compliant when vulnerabilities cannot be evaluated', () => {
    const { results, compliant } = evaluatePolicies(resolvePolicies('default', []), subject({ findings: null }));
    expect(compliant).toBe(false);
    expect(results[0].violations[0].message).toBe('vulnerabilities cannot be evaluated: no imported feed covers debian 12');
  });

  it('keeps inform-mode violations out of the verdict', () => {
    const policies = resolvePolicies('default', [{ name: 'Latest tag', rule: 'latest-tag', enforcement: 'inform' }]);
    const { results, compliant } = evaluatePolicies(policies, subject({ image: parseReference('alpine') }));
    expect(results.find((r) => r.name === 'Latest tag')?.violations).toHaveLength(1);
    expect(compliant).toBe(true);
  });

  it('skips policies whose scope does not cover the subject', () => {
    const scoped: PolicyConfig = {
      name: 'Root in team-a prod', rule: 'root-user', enforcement: 'enforce',
      scope: { sources: ['prod'], namespaces: ['team-a'], repositories: ['quay.io/org/*'] },
    };
    const policies = resolvePolicies('default', [scoped]);
    const root = { ...inventory, config: { ...inventory.config, user: 'root' } };
    const names = (s: Partial<PolicySubject & { source: string }>) => evaluatePolicies(policies, subject({ inventory: root, ...s })).results.map((r) => r.name);
    expect(names({ source: 'prod', namespace: 'team-a' })).toContain('Root in team-a prod');
    expect(names({ source: 'lab', namespace: 'team-a' })).not.toContain('Root in team-a prod');
    expect(names({ source: 'prod' })).not.toContain('Root in team-a prod');
    expect(names({ source: 'prod', namespace: 'team-a', image: parseReference('alpine:3') })).not.toContain('Root in team-a prod');
    expect(evaluatePolicies(policies, subject({ inventory: root, source: 'prod', namespace: 'team-a' })).compliant).toBe(false);
  });
});
