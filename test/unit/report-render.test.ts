import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildReportData } from '../../src/report/report-data';
import { renderReport, reportSubject } from '../../src/report/render';
import { compileTemplates, templatesDirectory } from '../../src/report/templates';
import { recordComplianceSnapshot } from '../../src/store/snapshots';
import { addFinding, addImage, digestOf, memoryStore, policy, reportConfig, summary, verdict } from './report-test-store';

const NOW = new Date('2026-11-23T07:00:00Z');
const HOSTILE_PACKAGE = '<script>alert(1)</script>';
const HOSTILE_LABEL = '<img src=x onerror=alert(2)>';

function hostileStore() {
  const db = memoryStore();
  const bad = digestOf(1);
  addImage(db, { repository: 'team/<b>app</b>', tag: 'v1"onmouseover="x', digest: bad, source: 'lab', namespace: 'team-<i>a</i>', seen: '2026-11-22T20:00:00Z' });
  addFinding(db, bad, { advisoryId: 'CVE-2026-0001', package: HOSTILE_PACKAGE, fixed: '2.0<script>', severity: 'Critical', firstSeen: '2026-11-22T20:00:00Z' });
  verdict(db, bad, 'non-compliant', '2026-11-22T21:00:00Z', {
    failed: [policy('Required labels', [`label maintainer is "${HOSTILE_LABEL}", expected an e-mail`], 'Set <the> label & rebuild')],
    summary: summary({ Critical: 1 }),
  });
  const failing = digestOf(2);
  addImage(db, { repository: 'team/worker', tag: '1.0', digest: failing, source: 'lab', seen: '2026-11-22T20:00:00Z', status: 'failed', error: 'layer sha256:ab: <unexpected EOF>' });
  verdict(db, failing, 'unknown', '2026-11-22T21:00:00Z', { summary: null, reason: 'scan failed: <unexpected EOF>' });
  db.prepare(`INSERT INTO scan_errors (registry, repository, tag, digest, kind, message, occurred_at) VALUES ('127.0.0.1:5000', 'team/worker', '1.0', ?, 'layer', '<script>bad()</script>', '2026-11-23T02:00:00Z')`).run(failing);
  db.prepare(`INSERT INTO feeds (name, format, source, imported_at, advisories, namespaces) VALUES ('<feed>', 'osv', 'x', '2026-11-19T07:00:00Z', 1, '[]')`).run();
  db.prepare(`INSERT INTO enforcement_audit (at, source, image_name, action, dry_run, patch, outcome, message) VALUES ('2026-11-23T03:00:00Z', 'prod', ?, 'deny', 0, '{}', 'applied', '<b>denied</b>')`).run(bad);
  const ok = digestOf(3);
  addImage(db, { repository: 'team/ok', tag: '2', digest: ok, source: 'lab', seen: '2026-11-01T00:00:00Z' });
  verdict(db, ok, 'compliant', '2026-11-01T00:00:00Z');
  return db;
}

describe('rendering the report', () => {
  const config = reportConfig({ report: { directory: '/nonexistent-report-dir', title: 'prod <script>x()</script>', staleFeedHours: 48 } });

  test('every string from the store is escaped: no <script anywhere in the report or the mail', () => {
    const db = hostileStore();
    const rendered = renderReport(buildReportData(db, config, '2026-11-23', NOW), config);
    for (const html of [rendered.html, rendered.emailHtml]) {
      expect(html).not.toMatch(/<script/i);
      expect(html).not.toContain('<b>app</b>');
      expect(html).not.toContain('<img');
      expect(html).not.toContain('"onmouseover="');
    }
    expect(rendered.html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(rendered.html).toContain('&lt;img src&#x3D;x onerror&#x3D;alert(2)&gt;');
    expect(rendered.html).toContain('team/&lt;b&gt;app&lt;/b&gt;');
    expect(rendered.html).toContain('Set &lt;the&gt; label &amp; rebuild');
    expect(rendered.html).toContain('&lt;script&gt;bad()&lt;/script&gt;');
    expect(rendered.html).toContain('&lt;b&gt;denied&lt;/b&gt;');
    expect(rendered.html).toContain('2.0&lt;script&gt;');
    // The page's own markup is there, so the checks above are not passing on an empty page.
    expect(rendered.html).toContain('id="summary-non-compliant" data-count="1"');
    expect(rendered.html).toContain('<svg');
    expect(rendered.html).toContain('id="stale-feeds-warning"');
    // Plain text is not HTML: it says what the store says.
    expect(rendered.text).toContain('team/<b>app</b>:v1"onmouseover="x');
    expect(rendered.text).not.toContain('&lt;');
  });

  test('the report is self-contained: no script, no external URL, no stylesheet or font link', () => {
    const db = hostileStore();
    const { html } = renderReport(buildReportData(db, config, '2026-11-23', NOW), config);
    expect(html).not.toMatch(/<(script|link|iframe|img|object)\b/i);
    expect(html).not.toMatch(/(src|href)=/i);
    expect(html).not.toMatch(/url\(/i);
    expect(html.match(/https?:\/\/[^\s"<]+/g) ?? []).toEqual(['http://www.w3.org/2000/svg']);
    expect(html).toContain('@media print');
    expect(html).toContain('@media (max-width: 600px)');
  });

  test('subject: title, compliant of all, and the images that became non-compliant in the last 24 hours', () => {
    const db = memoryStore();
    for (let i = 1; i <= 10; i++) verdict(db, digestOf(i), 'compliant', '2026-11-10T00:00:00Z');
    // Two turn non-compliant within the window, one long before it, one is new and non-compliant.
    verdict(db, digestOf(1), 'non-compliant', '2026-11-22T09:00:00Z', { failed: [policy('P')] });
    verdict(db, digestOf(2), 'non-compliant', '2026-11-23T06:00:00Z', { failed: [policy('P')] });
    verdict(db, digestOf(3), 'non-compliant', '2026-11-20T00:00:00Z', { failed: [policy('P')] });
    verdict(db, digestOf(11), 'non-compliant', '2026-11-23T01:00:00Z', { failed: [policy('P')] });
    // One was non-compliant and is fixed.
    verdict(db, digestOf(4), 'non-compliant', '2026-11-15T00:00:00Z', { failed: [policy('P')] });
    verdict(db, digestOf(4), 'compliant', '2026-11-23T05:00:00Z');
    const data = buildReportData(db, reportConfig(), '2026-11-23', NOW);
    expect(data.summary).toEqual({ images: 11, compliant: 7, nonCompliant: 4, unknown: 0 });
    expect(reportSubject(data)).toBe('[imagewarden] lab: 7/11 compliant, 3 new non-compliant');
    expect(data.changes.newlyNonCompliant.map((c) => c.digest).sort()).toEqual([digestOf(1), digestOf(2), digestOf(11)]);
    expect(data.changes.fixed.map((c) => c.digest)).toEqual([digestOf(4)]);
    expect(data.changes.newImages.map((c) => c.digest)).toEqual([digestOf(11)]);
    const rendered = renderReport(data, reportConfig());
    expect(rendered.subject).toBe('[imagewarden] lab: 7/11 compliant, 3 new non-compliant');
    expect(rendered.text).toMatch(/New non-compliant: 3\n/);
    expect(rendered.path).toBe('/nonexistent-report-dir/2026/11/imagewarden-2026-11-23.html');
  });

  test('the trend ends with today and leaves days without a snapshot as gaps', () => {
    const db = memoryStore();
    verdict(db, digestOf(1), 'compliant', '2026-11-01T00:00:00Z');
    recordComplianceSnapshot(db, new Date('2026-11-01T12:00:00Z'), 'UTC');
    recordComplianceSnapshot(db, NOW, 'UTC');
    const data = buildReportData(db, reportConfig(), '2026-11-23', NOW);
    expect(data.trend).toHaveLength(30);
    expect(data.trend[0].day).toBe('2026-10-25');
    expect(data.trend[29]).toEqual({ day: '2026-11-23', snapshot: { images: 1, compliant: 1, nonCompliant: 0, unknown: 0 } });
    expect(data.trend.filter((d) => d.snapshot).map((d) => d.day)).toEqual(['2026-11-01', '2026-11-23']);
  });

  test('the vulnerabilities affecting the most images come first, with the version to upgrade to', () => {
    const db = memoryStore();
    for (let i = 1; i <= 3; i++) {
      verdict(db, digestOf(i), 'non-compliant', '2026-11-20T00:00:00Z', { failed: [policy('Fixable')] });
      addFinding(db, digestOf(i), { advisoryId: 'CVE-A', package: 'openssl', fixed: i === 3 ? '3.0.2' : '3.0.1', severity: 'High', firstSeen: '2026-11-20T00:00:00Z' });
    }
    addFinding(db, digestOf(1), { advisoryId: 'CVE-B', package: 'zlib', severity: 'Critical', firstSeen: '2026-11-20T00:00:00Z' });
    const data = buildReportData(db, reportConfig(), '2026-11-23', NOW);
    expect(data.vulnerabilities).toEqual([
      { advisoryId: 'CVE-A', package: 'openssl', severity: 'High', images: 3, fixedIn: '3.0.1, 3.0.2' },
      { advisoryId: 'CVE-B', package: 'zlib', severity: 'Critical', images: 1, fixedIn: null },
    ]);
    expect(data.policies).toEqual([expect.objectContaining({ name: 'Fixable', images: 3, remediation: 'fix Fixable' })]);
  });

  test('a misspelt field in a template is an error, not an empty string', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'iw-templates-'));
    try {
      fs.cpSync(templatesDirectory(), dir, { recursive: true });
      fs.writeFileSync(path.join(dir, 'email.txt.hbs'), 'Images: {{summary.imagez}}\n');
      const templates = compileTemplates(dir);
      const data = buildReportData(memoryStore(), reportConfig(), '2026-11-23', NOW);
      expect(() => templates.emailText(data)).toThrow(/imagez/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a future day is refused', () => {
    expect(() => buildReportData(memoryStore(), reportConfig(), '2026-11-24', NOW)).toThrow(/has not begun/);
  });
});
