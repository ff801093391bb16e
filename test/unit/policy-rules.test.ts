import type { Inventory, Package } from '../../src/inventory/types';
import type { PolicySubject } from '../../src/policy/rule';
import { allowedRegistriesRule } from '../../src/policy/rules/allowed-registries';
import { imageAgeRule } from '../../src/policy/rules/image-age';
import { latestTagRule } from '../../src/policy/rules/latest-tag';
import { packageManagerRule } from '../../src/policy/rules/package-manager';
import { requiredLabelsRule } from '../../src/policy/rules/required-labels';
import { rootUserRule } from '../../src/policy/rules/root-user';
import { vulnerabilitiesRule } from '../../src/policy/rules/vulnerabilities';
import { parseReference } from '../../src/registry/reference';
import type { Finding } from '../../src/vuln/matcher';

function inventory(over: Partial<Inventory['config']> = {}, packages: Package[] = []): Inventory {
  return {
    os: { id: 'rhel', version: '8.1' },
    packages,
    packageDatabases: [],
    config: { labels: {}, env: [], exposedPorts: [], user: '1001', created: '2024-01-01T00:00:00Z', ...over },
    layers: [],
    warnings: [],
  };
}

function subject(over: Partial<PolicySubject> = {}): PolicySubject {
  return { image: parseReference('quay.io/org/app:1.0'), inventory: inventory(), findings: [], now: new Date('2024-03-01T00:00:00Z'), ...over };
}

function finding(id: string, severity: Finding['severity'], state: Finding['state'], fixedVersion?: string): Finding {
  const f: Finding = { advisoryId: id, aliases: [], package: 'openssl-libs', advisoryPackage: 'openssl-libs', installed: '1:1.1.1-8.el8', state, severity, feed: 'oval', namespace: 'rhel:8' };
  if (fixedVersion) f.fixedVersion = fixedVersion;
  return f;
}

describe('vulnerabilities rule', () => {
  const findings = [
    finding('CVE-2019-1543', 'High', 'fixed', '1:1.1.1c-2.el8'),
    finding('CVE-2020-0001', 'Critical', 'unfixed'),
    finding('CVE-2020-0002', 'Medium', 'fixed', '1:1.1.1c-2.el8'),
    finding('CVE-2020-0003', 'Low', 'will-not-fix'),
    finding('CVE-2020-0004', 'Unknown', 'unfixed'),
  ];
  const parse = (o: unknown) => vulnerabilitiesRule.options.parse(o);

  it('fails fixable findings at or above High by default, one violation per finding', () => {
    const v = vulnerabilitiesRule.evaluate(subject({ findings }), parse({}));
    expect(v).toEqual([
      { message: 'CVE-2019-1543 (High) in openssl-libs 1:1.1.1-8.el8, fixed in 1:1.1.1c-2.el8', package: 'openssl-libs', version: '1:1.1.1-8.el8', advisoryId: 'CVE-2019-1543' },
    ]);
  });

  it('fails every finding, fixable or not, with severity Unknown and fixableOnly false', () => {
    const v = vulnerabilitiesRule.evaluate(subject({ findings }), parse({ severity: 'Unknown', fixableOnly: false }));
    expect(v.map((x) => x.advisoryId)).toEqual(['CVE-2019-1543', 'CVE-2020-0001', 'CVE-2020-0002', 'CVE-2020-0003', 'CVE-2020-0004']);
    expect(v[1].message).toBe('CVE-2020-0001 (Critical) in openssl-libs 1:1.1.1-8.el8, no fix is available');
    expect(v[3].message).toBe('CVE-2020-0003 (Low) in openssl-libs 1:1.1.1-8.el8, the vendor will not fix it');
  });

  it('passes an image whose findings are all below the threshold', () => {
    expect(vulnerabilitiesRule.evaluate(subject({ findings: findings.slice(2) }), parse({ severity: 'High' }))).toEqual([]);
  });

  it('fails, never passes, when no feed covers the OS', () => {
    expect(vulnerabilitiesRule.evaluate(subject({ findings: null }), parse({}))).toEqual([
      { message: 'vulnerabilities cannot be evaluated: no imported feed covers rhel 8.1' },
    ]);
  });

  it('rejects unknown options with their name', () => {
    const r = vulnerabilitiesRule.options.safeParse({ cvssMinimum: 7 });
    expect(r.success).toBe(false);
    expect(JSON.stringify(r.error?.issues)).toContain('cvssMinimum');
  });

  it('with cvssAtLeast fails only findings scored at or above it, and those without a score', () => {
    const scored = [
      { ...finding('CVE-2021-0001', 'High', 'fixed', '2'), cvss: 7.5 },
      { ...finding('CVE-2021-0002', 'High', 'fixed', '2'), cvss: 6.9 },
      finding('CVE-2021-0003', 'High', 'fixed', '2'),
    ];
    const v = vulnerabilitiesRule.evaluate(subject({ findings: scored }), parse({ cvssAtLeast: 7 }));
    expect(v.map((x) => x.advisoryId)).toEqual(['CVE-2021-0001', 'CVE-2021-0003']);
  });

  it('with fixAgeDays fails only fixes published at least that many days before now, and undated ones', () => {
    // now is 2024-03-01
    const dated = [
      { ...finding('CVE-2022-0001', 'High', 'fixed', '2'), published: '2024-01-30' },
      { ...finding('CVE-2022-0002', 'High', 'fixed', '2'), published: '2024-02-20T10:00:00Z' },
      finding('CVE-2022-0003', 'High', 'fixed', '2'),
    ];
    const v = vulnerabilitiesRule.evaluate(subject({ findings: dated }), parse({ fixAgeDays: 30 }));
    expect(v.map((x) => x.advisoryId)).toEqual(['CVE-2022-0001', 'CVE-2022-0003']);
    expect(vulnerabilitiesRule.evaluate(subject({ findings: dated }), parse({ fixAgeDays: 0 }))).toHaveLength(3);
  });
});

describe('latest-tag rule', () => {
  const check = (image: PolicySubject['image']) => latestTagRule.evaluate(subject({ image }), {});
  it('flags the latest tag, explicit or implied', () => {
    expect(check(parseReference('alpine'))).toHaveLength(1);
    expect(check(parseReference('alpine:latest'))[0].message).toBe('image docker.io/library/alpine:latest uses the "latest" tag');
    expect(check({ registry: 'quay.io', repository: 'org/app' })[0].message).toContain('resolves to "latest"');
  });
  it('passes version tags and digest-only references', () => {
    expect(check(parseReference('alpine:3.18'))).toEqual([]);
    expect(check(parseReference(`alpine@sha256:${'b'.repeat(64)}`))).toEqual([]);
  });
});

describe('package-manager rule', () => {
  const pkg = (name: string, version: string, ecosystem: Package['ecosystem']): Package => ({ name, version, ecosystem });
  const packages = [pkg('rpm', '4.14.2-37.el8', 'rpm'), pkg('microdnf', '3.0.1-8.el8', 'rpm'), pkg('bash', '4.4.19-10.el8', 'rpm'), pkg('apk-tools', '2.14.0-r2', 'apk')];
  const inv = inventory({}, packages);
  it('lists each package manager component with its version', () => {
    const v = packageManagerRule.evaluate(subject({ inventory: inv }), packageManagerRule.options.parse({}));
    expect(v).toEqual([
      { message: 'package manager rpm 4.14.2-37.el8 is installed', package: 'rpm', version: '4.14.2-37.el8' },
      { message: 'package manager microdnf 3.0.1-8.el8 is installed', package: 'microdnf', version: '3.0.1-8.el8' },
      { message: 'package manager apk-tools 2.14.0-r2 is installed', package: 'apk-tools', version: '2.14.0-r2' },
    ]);
  });
  it('only looks for the managers asked for', () => {
    const v = packageManagerRule.evaluate(subject({ inventory: inv }), packageManagerRule.options.parse({ managers: ['dpkg', 'apk'] }));
    expect(v.map((x) => x.package)).toEqual(['apk-tools']);
    expect(packageManagerRule.options.safeParse({ managers: ['pip'] }).success).toBe(false);
  });
});

describe('root-user rule', () => {
  const check = (user: string | undefined) => rootUserRule.evaluate(subject({ inventory: inventory({ user }) }), {});
  it.each(['', '0', 'root', '0:0', 'root:root', '0:1000'])('flags User "%s"', (user) => {
    expect(check(user)).toHaveLength(1);
  });
  it('flags a config without a User', () => {
    expect(check(undefined)).toEqual([{ message: 'the image sets no User, so it runs as root' }]);
  });
  it.each(['1000:0', '1001', 'nginx', 'nobody:root'])('passes User "%s"', (user) => {
    expect(check(user)).toEqual([]);
  });
});

describe('image-age rule', () => {
  const check = (created: string | undefined, maxDays: number) =>
    imageAgeRule.evaluate(subject({ inventory: inventory({ created }) }), imageAgeRule.options.parse({ maxDays }));
  it('flags images older than maxDays and passes younger ones', () => {
    // 2024-01-01 → 2024-03-01 is 60 days.
    expect(check('2024-01-01T00:00:00Z', 59)).toEqual([{ message: 'image was created 60 days ago (2024-01-01T00:00:00Z), more than 59' }]);
    expect(check('2024-01-01T00:00:00Z', 60)).toEqual([]);
  });
  it('flags a missing or unreadable creation date', () => {
    expect(check(undefined, 90)).toEqual([{ message: 'image has no creation date' }]);
    expect(check('yesterday', 90)[0].message).toContain('is not a date');
  });
  it('defaults maxDays to 90', () => {
    expect(imageAgeRule.options.parse({})).toEqual({ maxDays: 90 });
  });
});

describe('required-labels rule', () => {
  const labels = { maintainer: 'team-a', version: 'v1.2' };
  const check = (opts: unknown) => requiredLabelsRule.evaluate(subject({ inventory: inventory({ labels }) }), requiredLabelsRule.options.parse(opts));
  it('flags each missing label by name', () => {
    expect(check({ labels: ['maintainer', 'owner', 'vcs-ref'] }).map((v) => v.message)).toEqual([
      'required label owner is missing',
      'required label vcs-ref is missing',
    ]);
  });
  it('matches values against the whole regular expression', () => {
    expect(check({ labels: { version: 'v\\d+\\.\\d+', maintainer: 'team' } }).map((v) => v.message)).toEqual([
      'label maintainer="team-a" does not match /team/',
    ]);
  });
  it('rejects an invalid regular expression at config time', () => {
    expect(requiredLabelsRule.options.safeParse({ labels: { version: '(' } }).success).toBe(false);
  });
});

describe('allowed-registries rule', () => {
  const opts = allowedRegistriesRule.options.parse({ cluster: ['docker.io/library/*', '127.0.0.1:5000/*'], namespaces: { 'team-a': ['quay.io/team-a/*'] } });
  const check = (image: string, namespace?: string) => allowedRegistriesRule.evaluate(subject({ image: parseReference(image), namespace }), opts);
  it('allows images the cluster list matches', () => {
    expect(check('alpine:3.18')).toEqual([]);
    expect(check('127.0.0.1:5000/lab/app:1', 'team-b')).toEqual([]);
  });
  it('denies an image no pattern matches', () => {
    expect(check('quay.io/team-a/app:1')).toEqual([
      { message: 'image quay.io/team-a/app:1 matches no pattern allowed for the cluster (allowed: docker.io/library/*, 127.0.0.1:5000/*)' },
    ]);
  });
  it('lets a namespace list replace the cluster list', () => {
    expect(check('quay.io/team-a/app:1', 'team-a')).toEqual([]);
    expect(check('alpine:3.18', 'team-a')[0].message).toContain('allowed for namespace team-a');
  });
});
