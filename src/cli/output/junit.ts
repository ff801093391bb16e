import type { CheckFailure, CheckPolicy, CheckReport } from './check-report';

interface TestCase {
  classname: string;
  name: string;
  failure?: { message: string; type: string; body: string };
  error?: { message: string; type: string; body: string };
  systemOut?: string;
}

/**
 * JUnit XML of one `check`, in the dialect Jenkins, GitLab and Azure Pipelines share: a test case
 * per evaluated policy. Only enforce-mode failures fail the gate, so only they are <failure>s;
 * inform-mode violations ride along in <system-out>. An image that could not be assessed is an
 * <error>, never an empty suite that would read as a pass.
 */
export function toJUnit(report: CheckReport | CheckFailure): string {
  const cases = report.verdict === 'unknown' ? [errorCase(report)] : policyCases(report);
  const failures = cases.filter((c) => c.failure).length;
  const errors = cases.filter((c) => c.error).length;
  const counts = { tests: String(cases.length), failures: String(failures), errors: String(errors) };
  const properties =
    report.verdict === 'unknown'
      ? [['image', report.image], ['verdict', report.verdict]]
      : [['image', report.image], ['digest', report.digest], ['verdict', report.verdict]];
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites${attributes({ name: 'imagewarden', ...counts, time: '0' })}>`,
    `  <testsuite${attributes({ name: `imagewarden check ${report.image}`, ...counts, skipped: '0', time: '0' })}>`,
    '    <properties>',
    ...properties.map(([name, value]) => `      <property${attributes({ name, value })}/>`),
    '    </properties>',
    ...cases.map(renderCase),
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n');
}

function policyCases(report: CheckReport): TestCase[] {
  const failed = new Map(report.policies.map((p) => [p.name, p]));
  const names = new Set<string>();
  const cases: TestCase[] = [];
  // A failed policy missing from the evaluated list still gets its case: its violations must not vanish.
  for (const e of [...report.evaluated, ...report.policies]) {
    if (names.has(e.name)) continue;
    names.add(e.name);
    cases.push(policyCase(e.name, failed.get(e.name)));
  }
  return cases;
}

function policyCase(name: string, failed: CheckPolicy | undefined): TestCase {
  const testCase: TestCase = { classname: 'imagewarden.policies', name };
  if (!failed) return testCase;
  const count = failed.violations.length;
  const summary = `${count} violation${count === 1 ? '' : 's'} of ${failed.severity} ${failed.enforcement}-mode policy "${failed.name}"`;
  const body = [...failed.violations.map((v) => `- ${v}`), ...(failed.remediation !== '' ? ['', `Remediation: ${failed.remediation}`] : [])].join('\n');
  if (failed.enforcement === 'enforce') testCase.failure = { message: summary, type: failed.rule, body };
  else testCase.systemOut = `${summary} (inform mode: does not fail the check)\n${body}`;
  return testCase;
}

function errorCase(failure: CheckFailure): TestCase {
  const context = Object.entries(failure.error.context).map(([key, value]) => `${key}: ${typeof value === 'string' ? value : JSON.stringify(value)}`);
  return {
    classname: 'imagewarden.check',
    name: `assess ${failure.image}`,
    error: {
      message: failure.error.message,
      type: failure.error.kind,
      body: [`${failure.error.kind}: ${failure.error.message}`, ...context].join('\n'),
    },
  };
}

function renderCase(c: TestCase): string {
  const open = `    <testcase${attributes({ classname: c.classname, name: c.name, time: '0' })}`;
  const children = [
    ...(c.failure ? [`      <failure${attributes({ message: c.failure.message, type: c.failure.type })}>${text(c.failure.body)}</failure>`] : []),
    ...(c.error ? [`      <error${attributes({ message: c.error.message, type: c.error.type })}>${text(c.error.body)}</error>`] : []),
    ...(c.systemOut !== undefined ? [`      <system-out>${text(c.systemOut)}</system-out>`] : []),
  ];
  return children.length ? [`${open}>`, ...children, '    </testcase>'].join('\n') : `${open}/>`;
}

function attributes(values: Record<string, string>): string {
  return Object.entries(values)
    .map(([name, value]) => ` ${name}="${attributeValue(value)}"`)
    .join('');
}

/**
 * Characters XML 1.0 forbids outright (most C0 controls, U+FFFE/U+FFFF, lone surrogates) cannot
 * be escaped either; they become U+FFFD so the reader still sees that something was there.
 */
function xmlSafe(value: string): string {
  return value.replace(
    /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g,
    '\uFFFD',
  );
}

/** Carriage returns are character references: a parser would otherwise turn them into line feeds. */
function text(value: string): string {
  return xmlSafe(value).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/\r/g, '&#13;');
}

/** Tabs and line feeds too: in attributes a parser would fold them into spaces. */
function attributeValue(value: string): string {
  return text(value).replace(/"/g, '&quot;').replace(/'/g, '&apos;').replace(/\t/g, '&#9;').replace(/\n/g, '&#10;');
}
