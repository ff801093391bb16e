import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SaxesParser } from 'saxes';
import type { CheckFailure, CheckPolicy, CheckReport } from '../../src/cli/output/check-report';
import { toJUnit } from '../../src/cli/output/junit';
import { toSarif } from '../../src/cli/output/sarif';
import { cli } from '../support/run-imagewarden';
import { isUriReference, sarifSchemaErrors } from '../support/sarif-schema';
import { closedPort } from './http-test-server';

function expectValidSarif(log: object): void {
  expect(sarifSchemaErrors(log)).toEqual([]);
}

const DIGEST = 'sha256:4c2d3f5b8f1e6a7d9c0b1a2e3f4d5c6b7a8e9f0d1c2b3a4e5f6d7c8b9a0e1f2d';
const OTHER_DIGEST = 'sha256:0000000000000000000000000000000000000000000000000000000000000001';
const TOOL = { version: '0.1.0', informationUri: 'https://example.org/imagewarden' };

function report(overrides: Partial<CheckReport> = {}): CheckReport {
  return {
    image: '127.0.0.1:5000/team/app:1.4',
    digest: DIGEST,
    platform: 'linux/amd64',
    os: { id: 'alpine', version: '3.14.9', name: 'Alpine Linux v3.14' },
    packages: [{ name: 'musl', version: '1.2.2-r3', ecosystem: 'apk' }],
    packageDatabases: [],
    config: {} as CheckReport['config'],
    warnings: [],
    coverage: { namespaces: ['alpine:v3.14'], covered: true },
    vulnerabilities: [],
    notAffected: [],
    alreadyFixed: [],
    ignored: [],
    expiredIgnores: [],
    policies: [],
    evaluated: [
      { name: 'No critical vulnerabilities', rule: 'vulnerability-severity', severity: 'Critical', enforcement: 'enforce', passed: true },
      { name: 'Image age', rule: 'image-age', severity: 'Low', enforcement: 'inform', passed: true },
      { name: 'Not root', rule: 'user-not-root', severity: 'Medium', enforcement: 'enforce', passed: true },
    ],
    verdict: 'compliant',
    compliant: true,
    ...overrides,
  };
}

const CRITICAL: CheckPolicy = {
  name: 'No critical vulnerabilities',
  rule: 'vulnerability-severity',
  severity: 'Critical',
  enforcement: 'enforce',
  description: 'Images must not contain critical vulnerabilities with a fix available.',
  rationale: 'Critical flaws are exploited first.',
  remediation: 'Rebuild on a patched base image.',
  violations: ['CVE-2021-36159 (Critical) in apk-tools 2.12.5-r0, fixed in 2.12.6-r0', 'CVE-2022-37434 (Critical) in zlib 1.2.11-r3, fixed in 1.2.12-r2'],
};

const AGE: CheckPolicy = {
  name: 'Image age',
  rule: 'image-age',
  severity: 'Low',
  enforcement: 'inform',
  description: 'Images should be rebuilt at least every 90 days.',
  rationale: 'Old images miss fixes that never reach a feed.',
  remediation: 'Rebuild the image.',
  violations: ['image was created 412 days ago (limit 90)'],
};

function nonCompliant(overrides: Partial<CheckReport> = {}): CheckReport {
  return report({
    policies: [CRITICAL, AGE],
    evaluated: [
      { name: 'No critical vulnerabilities', rule: 'vulnerability-severity', severity: 'Critical', enforcement: 'enforce', passed: false },
      { name: 'Image age', rule: 'image-age', severity: 'Low', enforcement: 'inform', passed: false },
      { name: 'Not root', rule: 'user-not-root', severity: 'Medium', enforcement: 'enforce', passed: true },
    ],
    verdict: 'non-compliant',
    compliant: false,
    ...overrides,
  });
}

const HOSTILE_NAME = 'Block <script>alert("x")</script> & \'quotes\' \u0001\u0008\u000b\ufffe end';
const HOSTILE_VIOLATION = 'package "a<b>&c" \u0000 has ]]> in its\tname\r\nand a lone \ud800 surrogate';
const HOSTILE_IMAGE = 'evil.example/"><script>x</script>\u0007 space:tag';

function hostile(): CheckReport {
  const policy: CheckPolicy = {
    ...CRITICAL,
    name: HOSTILE_NAME,
    rule: 'rule<&>"',
    description: 'desc <b>&amp;</b>',
    remediation: 'fix "it" \u0002 now',
    violations: [HOSTILE_VIOLATION],
  };
  return report({
    image: HOSTILE_IMAGE,
    policies: [policy],
    evaluated: [{ name: HOSTILE_NAME, rule: policy.rule, severity: 'Critical', enforcement: 'enforce', passed: false }],
    verdict: 'non-compliant',
    compliant: false,
  });
}

const FAILURE: CheckFailure = {
  image: '127.0.0.1:5000/team/app:1.4',
  verdict: 'unknown',
  compliant: false,
  error: {
    kind: 'registry-unreachable',
    message: 'cannot connect to 127.0.0.1:5000 <refused> & "gone"',
    context: { image: '127.0.0.1:5000/team/app:1.4', registry: '127.0.0.1:5000', attempts: 3 },
  },
};

// The SARIF log as plain JSON, the way a consumer reads it.
interface SarifRule {
  id: string;
  name: string;
  shortDescription?: { text: string };
  fullDescription?: { text: string };
  help?: { text: string; markdown: string };
  defaultConfiguration: { level: string };
  properties: Record<string, unknown>;
}
interface SarifResult {
  ruleId: string;
  ruleIndex: number;
  level: string;
  message: { text: string };
  locations: {
    physicalLocation: { artifactLocation: { uri: string } };
    logicalLocations: { name: string; fullyQualifiedName: string; kind: string }[];
  }[];
  partialFingerprints: Record<string, string>;
}
interface SarifRun {
  tool: { driver: { name: string; version: string; informationUri?: string; rules: SarifRule[] } };
  invocations: { executionSuccessful: boolean; toolExecutionNotifications?: { level: string; message: { text: string }; properties: Record<string, unknown> }[] }[];
  results?: SarifResult[];
  properties: Record<string, unknown>;
}
interface SarifLog {
  $schema: string;
  version: string;
  runs: SarifRun[];
}

function sarif(input: CheckReport | CheckFailure): SarifLog {
  const log = toSarif(input, TOOL);
  expectValidSarif(log);
  return JSON.parse(JSON.stringify(log)) as SarifLog;
}

describe('SARIF output', () => {
  test('the schema validator is live: broken logs fail it', () => {
    const log = sarif(nonCompliant());
    const withoutMessage = structuredClone(log) as unknown as { runs: { results: Record<string, unknown>[] }[] };
    delete withoutMessage.runs[0].results[0].message;
    expect(sarifSchemaErrors(withoutMessage).some((e) => e.instancePath === '/runs/0/results/0' && e.params.missingProperty === 'message')).toBe(true);

    const badLevel = structuredClone(log);
    badLevel.runs[0].results![0].level = 'fatal';
    expect(sarifSchemaErrors(badLevel)).not.toEqual([]);

    const badUri = structuredClone(log);
    badUri.runs[0].results![0].locations[0].physicalLocation.artifactLocation.uri = '127.0.0.1:5000/team app';
    expect(sarifSchemaErrors(badUri).map((e) => e.keyword)).toContain('format');
  });

  test('a compliant image: every evaluated policy is a rule, no results, a successful invocation', () => {
    const log = sarif(report());
    expect(log.$schema).toBe('https://json.schemastore.org/sarif-2.1.0.json');
    expect(log.version).toBe('2.1.0');
    expect(log.runs).toHaveLength(1);
    const run = log.runs[0];
    expect(run.tool.driver).toMatchObject({ name: 'imagewarden', version: '0.1.0', informationUri: 'https://example.org/imagewarden' });
    expect(run.tool.driver.rules.map((r) => r.id)).toEqual(['no-critical-vulnerabilities', 'image-age', 'not-root']);
    expect(run.tool.driver.rules.map((r) => r.properties['security-severity'])).toEqual(['9.5', '2.0', '5.5']);
    expect(run.tool.driver.rules.map((r) => r.defaultConfiguration.level)).toEqual(['error', 'warning', 'error']);
    expect(run.tool.driver.rules[0].properties).toMatchObject({ rule: 'vulnerability-severity', enforcement: 'enforce', severity: 'Critical' });
    expect(run.tool.driver.rules[0].properties.tags).toContain('security');
    expect(run.results).toEqual([]);
    expect(run.invocations).toEqual([{ executionSuccessful: true }]);
    expect(run.properties).toEqual({ image: '127.0.0.1:5000/team/app:1.4', digest: DIGEST, verdict: 'compliant', compliant: true });
  });

  test('without an informationUri the driver leaves it out', () => {
    const log = toSarif(report(), { version: '9.9.9' }) as SarifLog;
    expectValidSarif(log);
    expect(log.runs[0].tool.driver).not.toHaveProperty('informationUri');
    expect(log.runs[0].tool.driver.version).toBe('9.9.9');
  });

  test('one result per violation: enforce failures are errors, inform failures warnings', () => {
    const run = sarif(nonCompliant()).runs[0];
    const rules = run.tool.driver.rules;
    const results = run.results!;
    expect(results).toHaveLength(3);
    expect(results.map((r) => [r.ruleId, r.level, r.message.text])).toEqual([
      ['no-critical-vulnerabilities', 'error', CRITICAL.violations[0]],
      ['no-critical-vulnerabilities', 'error', CRITICAL.violations[1]],
      ['image-age', 'warning', AGE.violations[0]],
    ]);
    for (const r of results) expect(rules[r.ruleIndex].id).toBe(r.ruleId);

    expect(rules[0]).toMatchObject({
      name: 'No critical vulnerabilities',
      shortDescription: { text: CRITICAL.description },
      fullDescription: { text: `${CRITICAL.description}\n\n${CRITICAL.rationale}` },
      help: {
        text: `Rationale: ${CRITICAL.rationale}\n\nRemediation: ${CRITICAL.remediation}`,
        markdown: `**Rationale:** ${CRITICAL.rationale}\n\n**Remediation:** ${CRITICAL.remediation}`,
      },
    });
    // The passing policy is a rule too, but the report has no description for it.
    expect(rules[2]).not.toHaveProperty('shortDescription');
    expect(run.properties).toEqual({ image: '127.0.0.1:5000/team/app:1.4', digest: DIGEST, verdict: 'non-compliant', compliant: false });
  });

  test('each result locates the image: logically by digest, physically on a stable relative path', () => {
    const results = sarif(nonCompliant()).runs[0].results!;
    const location = results[0].locations[0];
    expect(location.logicalLocations).toEqual([{ name: '127.0.0.1:5000/team/app:1.4', fullyQualifiedName: `127.0.0.1:5000/team/app:1.4@${DIGEST}`, kind: 'module' }]);
    const uri = location.physicalLocation.artifactLocation.uri;
    expect(uri).toBe('./127.0.0.1:5000/team/app');
    // A repository-relative path, not a URI with "127.0.0.1" read as its scheme.
    expect(new URL(uri, 'file:///checkout/').href).toBe('file:///checkout/127.0.0.1:5000/team/app');

    const pinned = sarif(nonCompliant({ image: `127.0.0.1:5000/team/app@${OTHER_DIGEST}` })).runs[0].results![0].locations[0];
    expect(pinned.logicalLocations[0].fullyQualifiedName).toBe(`127.0.0.1:5000/team/app@${DIGEST}`);
    expect(pinned.physicalLocation.artifactLocation.uri).toBe('./127.0.0.1:5000/team/app');

    const hub = sarif(nonCompliant({ image: 'docker.io/library/alpine:3.14' })).runs[0].results![0].locations[0];
    expect(hub.physicalLocation.artifactLocation.uri).toBe('docker.io/library/alpine');
  });

  test('fingerprints are stable across runs and distinct per policy, violation and digest', () => {
    const fingerprints = (r: CheckReport) => sarif(r).runs[0].results!.map((x) => Object.values(x.partialFingerprints)[0]);
    const first = fingerprints(nonCompliant());
    expect(first).toHaveLength(3);
    expect(first.every((f) => /^[0-9a-f]{64}$/.test(f))).toBe(true);
    expect(new Set(first).size).toBe(3);
    expect(fingerprints(nonCompliant())).toEqual(first);
    expect(fingerprints(nonCompliant({ image: 'other.example/x:2' }))).toEqual(first);
    const rebuilt = fingerprints(nonCompliant({ digest: OTHER_DIGEST }));
    expect(rebuilt.filter((f) => first.includes(f))).toEqual([]);
  });

  test('rule ids: slugs that collide or vanish get a hash of the name, the same on every run', () => {
    const names = ['No root', 'no-root', '日本語', 'Crème brûlée!'];
    const input = report({
      evaluated: names.map((name) => ({ name, rule: 'user-not-root', severity: 'High' as const, enforcement: 'enforce' as const, passed: true })),
    });
    const ids = sarif(input).runs[0].tool.driver.rules.map((r) => r.id);
    expect(ids[0]).toMatch(/^no-root-[0-9a-f]{8}$/);
    expect(ids[1]).toMatch(/^no-root-[0-9a-f]{8}$/);
    expect(ids[2]).toMatch(/^policy-[0-9a-f]{8}$/);
    expect(ids[3]).toBe('creme-brulee');
    expect(new Set(ids).size).toBe(4);
    expect(sarif(input).runs[0].tool.driver.rules.map((r) => r.id)).toEqual(ids);
  });

  test('a failed policy the evaluated list lacks still gets its rule and results', () => {
    const run = sarif(nonCompliant({ evaluated: [] })).runs[0];
    expect(run.tool.driver.rules.map((r) => r.id)).toEqual(['no-critical-vulnerabilities', 'image-age']);
    expect(run.results).toHaveLength(3);
  });

  test('hostile strings survive as data and the log still validates', () => {
    const run = sarif(hostile()).runs[0];
    const rule = run.tool.driver.rules[0];
    expect(rule.name).toBe(HOSTILE_NAME);
    expect(rule.id).toMatch(/^[a-z0-9-]+$/);
    expect(rule.id).toBe('block-script-alert-x-script-quotes-end');
    const result = run.results![0];
    expect(result.message.text).toBe(HOSTILE_VIOLATION.replace('\ud800', '\ufffd'));
    const uri = result.locations[0].physicalLocation.artifactLocation.uri;
    expect(isUriReference(uri)).toBe(true);
    expect(decodeURIComponent(uri)).toBe('evil.example/"><script>x</script>\u0007 space');
    expect(new URL(uri, 'file:///checkout/').protocol).toBe('file:');
    expect(run.properties.image).toBe(HOSTILE_IMAGE);
  });

  test('a check that could not assess the image: failed invocation, a notification, and no results at all', () => {
    const run = sarif(FAILURE).runs[0];
    expect(run.invocations).toEqual([
      {
        executionSuccessful: false,
        toolExecutionNotifications: [
          { level: 'error', message: { text: FAILURE.error.message }, properties: { kind: 'registry-unreachable', context: FAILURE.error.context } },
        ],
      },
    ]);
    expect(run).not.toHaveProperty('results');
    expect(run.tool.driver.rules).toEqual([]);
    expect(run.properties).toEqual({ image: FAILURE.image, digest: null, verdict: 'unknown', compliant: false });
  });
});

interface XmlElement {
  name: string;
  attributes: Record<string, string>;
  children: XmlElement[];
  text: string;
}

/** Parses with a conforming XML 1.0 parser: any well-formedness error throws. */
function parseXml(xml: string): XmlElement {
  const parser = new SaxesParser();
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  parser.on('error', (e) => {
    throw e;
  });
  parser.on('opentag', (tag) => {
    const element: XmlElement = { name: tag.name, attributes: { ...(tag.attributes as Record<string, string>) }, children: [], text: '' };
    if (stack.length) stack[stack.length - 1].children.push(element);
    else root = element;
    stack.push(element);
  });
  parser.on('text', (t) => {
    if (stack.length) stack[stack.length - 1].text += t;
  });
  parser.on('closetag', () => stack.pop());
  parser.write(xml).close();
  if (!root) throw new Error('no root element');
  return root;
}

function child(element: XmlElement, name: string): XmlElement | undefined {
  return element.children.find((c) => c.name === name);
}

function junit(input: CheckReport | CheckFailure): { suites: XmlElement; suite: XmlElement; cases: XmlElement[] } {
  const xml = toJUnit(input);
  expect(xml.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n')).toBe(true);
  const suites = parseXml(xml);
  expect(suites.name).toBe('testsuites');
  expect(suites.children.map((c) => c.name)).toEqual(['testsuite']);
  const suite = suites.children[0];
  return { suites, suite, cases: suite.children.filter((c) => c.name === 'testcase') };
}

describe('JUnit output', () => {
  test('a compliant image: one passing test case per evaluated policy', () => {
    const { suites, suite, cases } = junit(report());
    expect(suites.attributes).toMatchObject({ tests: '3', failures: '0', errors: '0' });
    expect(suite.attributes).toEqual({
      name: 'imagewarden check 127.0.0.1:5000/team/app:1.4',
      tests: '3',
      failures: '0',
      errors: '0',
      skipped: '0',
      time: '0',
    });
    expect(cases.map((c) => [c.attributes.classname, c.attributes.name])).toEqual([
      ['imagewarden.policies', 'No critical vulnerabilities'],
      ['imagewarden.policies', 'Image age'],
      ['imagewarden.policies', 'Not root'],
    ]);
    expect(cases.every((c) => c.children.length === 0)).toBe(true);
    const properties = child(suite, 'properties')!.children.map((p) => [p.attributes.name, p.attributes.value]);
    expect(properties).toEqual([
      ['image', '127.0.0.1:5000/team/app:1.4'],
      ['digest', DIGEST],
      ['verdict', 'compliant'],
    ]);
  });

  test('enforce failures are <failure>s listing the violations; inform failures pass with them in <system-out>', () => {
    const { suites, suite, cases } = junit(nonCompliant());
    expect(suites.attributes).toMatchObject({ tests: '3', failures: '1', errors: '0' });
    expect(suite.attributes).toMatchObject({ tests: '3', failures: '1', errors: '0', skipped: '0' });

    const [critical, age, root] = cases;
    expect(critical.children.map((c) => c.name)).toEqual(['failure']);
    const failure = child(critical, 'failure')!;
    expect(failure.attributes).toEqual({ message: '2 violations of Critical enforce-mode policy "No critical vulnerabilities"', type: 'vulnerability-severity' });
    expect(failure.text).toBe(`- ${CRITICAL.violations[0]}\n- ${CRITICAL.violations[1]}\n\nRemediation: ${CRITICAL.remediation}`);

    expect(age.children.map((c) => c.name)).toEqual(['system-out']);
    expect(child(age, 'system-out')!.text).toBe(
      `1 violation of Low inform-mode policy "Image age" (inform mode: does not fail the check)\n- ${AGE.violations[0]}\n\nRemediation: ${AGE.remediation}`,
    );
    expect(root.children).toEqual([]);
  });

  test('hostile strings are escaped; characters XML 1.0 forbids become U+FFFD', () => {
    const xml = toJUnit(hostile());
    expect(xml).not.toContain('<script>');
    expect(xml).not.toMatch(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/);
    expect(xml).not.toMatch(/[\ud800-\udbff](?![\udc00-\udfff])/);
    const { suite, cases } = junit(hostile());
    expect(suite.attributes.name).toBe('imagewarden check evil.example/"><script>x</script>\ufffd space:tag');
    expect(cases).toHaveLength(1);
    expect(cases[0].attributes.name).toBe('Block <script>alert("x")</script> & \'quotes\' \ufffd\ufffd\ufffd\ufffd end');
    const failure = child(cases[0], 'failure')!;
    expect(failure.attributes.type).toBe('rule<&>"');
    expect(failure.attributes.message).toContain('Block <script>alert("x")</script> & \'quotes\'');
    // The carriage return and tab are kept as written, not normalised away by the parser.
    expect(failure.text).toBe('- package "a<b>&c" \ufffd has ]]> in its\tname\r\nand a lone \ufffd surrogate\n\nRemediation: fix "it" \ufffd now');
  });

  test('tabs and line breaks in attribute values survive parsing', () => {
    const { cases } = junit(report({ evaluated: [{ name: 'a\tb\nc\rd', rule: 'r', severity: 'Low', enforcement: 'enforce', passed: true }] }));
    expect(cases[0].attributes.name).toBe('a\tb\nc\rd');
  });

  test('a check that could not assess the image is one <error> naming kind, message and context', () => {
    const { suites, suite, cases } = junit(FAILURE);
    expect(suites.attributes).toMatchObject({ tests: '1', failures: '0', errors: '1' });
    expect(suite.attributes).toMatchObject({ tests: '1', failures: '0', errors: '1', skipped: '0' });
    expect(cases).toHaveLength(1);
    expect(cases[0].attributes).toMatchObject({ classname: 'imagewarden.check', name: 'assess 127.0.0.1:5000/team/app:1.4' });
    const error = child(cases[0], 'error')!;
    expect(error.attributes).toEqual({ message: FAILURE.error.message, type: 'registry-unreachable' });
    expect(error.text).toBe(
      `registry-unreachable: ${FAILURE.error.message}\nimage: 127.0.0.1:5000/team/app:1.4\nregistry: 127.0.0.1:5000\nattempts: 3`,
    );
    expect(child(suite, 'properties')!.children.map((p) => p.attributes.verdict ?? p.attributes.value)).toEqual([FAILURE.image, 'unknown']);
  });
});

// The compiled CLI (`npx tsc -p tsconfig.json` first), as a CI job runs it. Only the path that
// needs no registry runs here; a registry that refuses connections is enough to make it fail.
describe('imagewarden check --output, compiled CLI', () => {
  let workdir: string;
  let image: string;
  beforeAll(async () => {
    workdir = mkdtempSync(join(tmpdir(), 'iw-check-output-'));
    image = `127.0.0.1:${await closedPort()}/team/app:1.0`;
  });
  afterAll(() => rmSync(workdir, { recursive: true, force: true }));

  const check = (output: string) => cli(['--db', join(workdir, 'imagewarden.db'), 'check', '--output', output, image], { cwd: workdir });

  test('sarif: exit 2 and a valid log with a failed invocation naming the error', async () => {
    const r = await check('sarif');
    expect(r.status).toBe(2);
    const log = JSON.parse(r.stdout) as SarifLog;
    expectValidSarif(log);
    const run = log.runs[0];
    expect(run).not.toHaveProperty('results');
    expect(run.invocations[0].executionSuccessful).toBe(false);
    const notification = run.invocations[0].toolExecutionNotifications![0];
    expect(notification.level).toBe('error');
    expect(notification.properties).toMatchObject({ kind: 'registry-unreachable', context: { image } });
    expect(notification.message.text).toContain(image.split('/')[0]);
    expect(run.properties).toEqual({ image, digest: null, verdict: 'unknown', compliant: false });
    expect(run.tool.driver.version).toMatch(/^\d+\.\d+\.\d+/);
  });

  test('junit: exit 2 and well-formed XML with one <error>', async () => {
    const r = await check('junit');
    expect(r.status).toBe(2);
    const suites = parseXml(r.stdout);
    expect(suites.attributes).toMatchObject({ tests: '1', failures: '0', errors: '1' });
    const testCase = suites.children[0].children.find((c) => c.name === 'testcase')!;
    expect(testCase.attributes.name).toBe(`assess ${image}`);
    expect(child(testCase, 'error')!.attributes.type).toBe('registry-unreachable');
  });
});
