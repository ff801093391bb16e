import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import { chromium, type Browser } from 'playwright-core';
import { pushFixtureImage } from '../support/push-fixture';
import type { BuiltImageRecipe } from '../support/recipe-types';
import { startRegistry, type RunningRegistry } from '../support/registry';
import { RegistryClient } from '../support/registry-client';
import { cli } from '../support/run-imagewarden';
import { loadTestEnvironment, pushedImage } from '../support/test-environment';

const FEEDS = path.join(__dirname, '../fixtures/feeds');
const OUTPUT = path.join(__dirname, '../../test-output');
const env = loadTestEnvironment();
const TITLE = 'lab <i>registry</i> & co';
const SCRIPT = '<script>alert(1)</script>';
const IMG = '<img src=x onerror=alert(1)>';
const ALPINE_OS = { type: 'file' as const, path: 'etc/os-release', content: { fixture: 'os-release/alpine-3.20.3-x86_64.os-release' } };

/**
 * Strings an attacker controls, in images of a registry of this test's own: a package database
 * naming a package `<script>…` (the analyzer refuses it, and the error quoting it reaches the
 * report) and a label holding an `<img onerror>` (a policy violation quotes it).
 */
const HOSTILE: BuiltImageRecipe[] = [
  {
    id: 'hostile-package-name',
    description: 'Alpine 3.20.3 whose apk database names a package <script>alert(1)</script>',
    kind: 'built',
    format: 'oci',
    repository: 'evil/package-name',
    tags: ['1.0'],
    registries: [],
    image: {
      config: {},
      layers: [{ compression: 'gzip', entries: [ALPINE_OS, { type: 'file', path: 'lib/apk/db/installed', content: { text: `P:${SCRIPT}\nV:1.0-r0\nA:x86_64\n\n` } }] }],
    },
    expected: { os: null, packages: null, failure: 'analyzer' },
  },
  {
    id: 'hostile-label',
    description: 'Alpine 3.20.3 with a description label holding HTML',
    kind: 'built',
    format: 'oci',
    repository: 'evil/label',
    tags: ['1.0'],
    registries: [],
    image: {
      config: { labels: { description: IMG } },
      layers: [{ compression: 'gzip', entries: [ALPINE_OS, { type: 'file', path: 'lib/apk/db/installed', content: { fixture: 'pkgdb/apk/alpine-3.20.3-x86_64.installed' } }] }],
    },
    expected: { os: { id: 'alpine', version: '3.20.3' }, packages: null, config: { labels: { description: IMG } } },
  },
];
let evil: RunningRegistry;

let workdir: string;
let database: string;
let config: string;
let browser: Browser | undefined;

const today = new Date().toISOString().slice(0, 10);
const daysAgo = (n: number) => new Date(Date.parse(`${today}T00:00:00Z`) - n * 86_400_000).toISOString().slice(0, 10);
/** Days of the last 30 left without a snapshot: the chart must show them as gaps. */
const GAPS = [daysAgo(9), daysAgo(10)];

async function run(args: string[]) {
  return cli(['--db', database, ...args], { config, timeoutMs: 120_000 });
}

function counts(): Record<string, number> {
  const db = new Database(database, { readonly: true });
  try {
    const c: Record<string, number> = { images: 0, compliant: 0, 'non-compliant': 0, unknown: 0 };
    for (const r of db.prepare('SELECT state, count(*) AS n FROM verdicts GROUP BY state').all() as { state: string; n: number }[]) {
      c[r.state] = r.n;
      c.images += r.n;
    }
    return c;
  } finally {
    db.close();
  }
}

beforeAll(async () => {
  workdir = fs.mkdtempSync(path.join(os.tmpdir(), 'iw-report-'));
  database = path.join(workdir, 'store.db');
  config = path.join(workdir, 'config.yaml');
  // The report is of a sweep over five repositories of the real test registry, one of them a
  // garbage dpkg database that must stay unknown.
  evil = await startRegistry({ auth: 'none' });
  const client = new RegistryClient(evil.url);
  for (const recipe of HOSTILE) await pushFixtureImage(recipe, [client]);
  const ids = ['archive-alpine-3.10', 'dpkg-ubuntu-22.04', 'rpm-bdb-rhel-8', 'dpkg-debian-11', 'hostile-garbage-dpkg'];
  const images = ids.map((id) => pushedImage(env, id));
  fs.writeFileSync(
    config,
    [
      'timezone: UTC',
      'report:',
      `  directory: ${JSON.stringify(path.join(workdir, 'reports'))}`,
      `  title: ${JSON.stringify(TITLE)}`,
      '  staleFeedHours: 48',
      'sources:',
      `  - name: lab`,
      `    type: registry`,
      `    url: ${env.registries.open.url}`,
      `    repositories: { include: ${JSON.stringify(images.map((i) => i.repository))} }`,
      `    tags: { include: ${JSON.stringify(images.map((i) => i.tags[0]))} }`,
      `  - { name: evil, type: registry, url: "${evil.url}" }`,
      'policies:',
      '  rules:',
      "    - { name: Description label, rule: required-labels, enforcement: inform, labels: { description: '[A-Za-z ]+' }, scope: { sources: [evil] } }",
      '',
    ].join('\n'),
  );

  for (const feed of [
    ['--name', 'alpine-3.10', path.join(FEEDS, 'alpine-secdb/v3.10-main.yaml')],
    ['--name', 'ubuntu-osv', path.join(FEEDS, 'osv/ubuntu')],
    ['--name', 'rhel8-oval', path.join(FEEDS, 'redhat-oval/com.redhat.rhsa-RHEL8.xml')],
  ]) {
    const r = await run(['feeds', 'import', ...feed]);
    if (r.status !== 0) throw new Error(`feeds import ${feed.join(' ')} exited ${r.status}: ${r.stderr}`);
  }
  const sweep = await run(['run-now', '--job', 'sweep']);
  if (sweep.status !== 0) throw new Error(`the sweep exited ${sweep.status}: ${sweep.stderr}`);
  if (!sweep.stdout.includes('sweep: scanned 5, reused 0, failed 2')) throw new Error(`unexpected sweep:\n${sweep.stdout}`);

  // 29 earlier days of history, two of them missing; today's snapshot is the report's own.
  const db = new Database(database);
  const insert = db.prepare('INSERT INTO compliance_snapshots (day, at, images, compliant, non_compliant, unknown) VALUES (?, ?, ?, ?, ?, ?)');
  for (let n = 29; n >= 1; n--) {
    const day = daysAgo(n);
    if (GAPS.includes(day)) continue;
    insert.run(day, `${day}T07:00:00.000Z`, 5, 1 + (n % 3), 3 - (n % 3), 1);
  }
  db.close();
});

afterAll(async () => {
  await browser?.close();
  await evil?.stop();
  fs.rmSync(workdir, { recursive: true, force: true });
});

describe('report over a store built by the real CLI', () => {
  test('the rendered file in headless Chromium: numbers equal the store, 30 day slots, no errors, no requests', async () => {
    const expected = counts();
    expect(expected.images).toBe(7);
    expect(expected.compliant).toBeGreaterThanOrEqual(1);
    expect(expected['non-compliant']).toBeGreaterThanOrEqual(2);
    expect(expected.unknown).toBe(2);

    const file = path.join(workdir, 'out', 'report.html');
    const r = await run(['report', '--out', file]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const subject = `[imagewarden] ${TITLE}: ${expected.compliant}/${expected.images} compliant, ${expected['non-compliant']} new non-compliant`;
    expect(r.stdout).toContain(subject);
    const archived = path.join(workdir, 'reports', today.slice(0, 4), today.slice(5, 7), `imagewarden-${today}.html`);
    expect(fs.readFileSync(archived, 'utf8')).toBe(fs.readFileSync(file, 'utf8'));
    const db = new Database(database, { readonly: true });
    const row = db.prepare('SELECT path, subject, summary FROM reports WHERE day = ?').get(today) as { path: string; subject: string; summary: string };
    const snapshot = db.prepare('SELECT images, compliant, non_compliant, unknown FROM compliance_snapshots WHERE day = ?').get(today);
    db.close();
    expect(row).toEqual({ path: archived, subject, summary: expect.any(String) });
    expect(JSON.parse(row.summary)).toMatchObject({ images: 7, unknown: 2 });
    expect(snapshot).toEqual({ images: 7, compliant: expected.compliant, non_compliant: expected['non-compliant'], unknown: 2 });

    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    const problems: string[] = [];
    const requests: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    const dialogs: string[] = [];
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    page.on('request', (req) => requests.push(req.url()));
    const url = pathToFileURL(file).href;
    await page.goto(url, { waitUntil: 'load' });

    const cell = (id: string) => page.locator(`#${id}`).getAttribute('data-count').then(Number);
    expect(await cell('summary-images')).toBe(expected.images);
    expect(await cell('summary-compliant')).toBe(expected.compliant);
    expect(await cell('summary-non-compliant')).toBe(expected['non-compliant']);
    expect(await cell('summary-unknown')).toBe(expected.unknown);
    // Everything was checked within the last 24 hours: every non-compliant image is new.
    expect(await cell('summary-new-non-compliant')).toBe(expected['non-compliant']);
    expect(await page.locator('#summary-images').innerText()).toBe(String(expected.images));
    expect(await page.locator('#image-table tbody tr').count()).toBe(expected.images);
    expect(await page.locator('#image-table tbody tr[data-verdict="unknown"]').count()).toBe(2);
    // The hostile strings are text on the page, never markup: no script, no image, no dialog.
    const text = await page.locator('body').innerText();
    expect(text).toContain(`invalid package name "${SCRIPT}"`);
    expect(await page.locator('#image-table').evaluate((t) => t.textContent)).toContain(`label description="${IMG}"`);
    expect(await page.locator('script').count()).toBe(0);
    expect(await page.locator('img').count()).toBe(0);
    expect(dialogs).toEqual([]);
    const unknown = (await page.locator('#unknown-images li').allInnerTexts()).join('\n');
    expect(unknown).toContain('hostile/garbage-dpkg');
    expect(unknown).toContain('evil/package-name');
    expect(await page.locator('#vulnerability-table tbody tr').count()).toBeGreaterThan(0);
    expect(await page.locator('#policy-table tbody tr').count()).toBeGreaterThan(0);
    expect(await page.locator('h1').innerText()).toBe(`${TITLE}: compliance report ${today}`);

    const slots = page.locator('#trend-chart svg g.day');
    expect(await slots.count()).toBe(30);
    expect(await slots.first().getAttribute('data-day')).toBe(daysAgo(29));
    expect(await slots.last().getAttribute('data-day')).toBe(today);
    expect(await page.locator('#trend-chart svg g.day.gap').evaluateAll((gs) => gs.map((g) => g.getAttribute('data-day')))).toEqual([...GAPS].sort());
    expect(await slots.last().getAttribute('data-non-compliant')).toBe(String(expected['non-compliant']));
    const box = await page.locator('#trend-chart svg').boundingBox();
    expect(box!.width).toBeGreaterThan(300);

    expect(problems).toEqual([]);
    expect(requests).toEqual([url]);

    fs.mkdirSync(OUTPUT, { recursive: true });
    await page.screenshot({ path: path.join(OUTPUT, 'report-desktop.png'), fullPage: true });
    // On a phone the page itself is not wider than the screen: wide tables scroll in their own box.
    const phone = await browser.newPage({ viewport: { width: 375, height: 800 }, isMobile: true, deviceScaleFactor: 2 });
    await phone.goto(url, { waitUntil: 'load' });
    expect(await phone.evaluate<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(375);
    await phone.screenshot({ path: path.join(OUTPUT, 'report-phone.png'), fullPage: true });
    expect(fs.statSync(path.join(OUTPUT, 'report-desktop.png')).size).toBeGreaterThan(10_000);
  });

  test('JSON and CSV exports carry the same numbers', async () => {
    const expected = counts();
    const json = await run(['report', '--format', 'json']);
    expect(json.status).toBe(0);
    const data = JSON.parse(json.stdout) as { summary: Record<string, number>; images: { digest: string; references: string[] }[] };
    expect(data.summary).toEqual({ images: expected.images, compliant: expected.compliant, nonCompliant: expected['non-compliant'], unknown: expected.unknown });
    const csv = await run(['report', '--format', 'csv']);
    expect(csv.status).toBe(0);
    const lines = csv.stdout.trimEnd().split('\r\n');
    expect(lines[0]).toBe('reference,digest,source,namespace,verdict,failed_policies,critical,high,medium,low');
    expect(lines).toHaveLength(1 + data.images.reduce((n, i) => n + Math.max(1, i.references.length), 0));
    expect(lines.filter((l) => l.includes(',non-compliant,'))).toHaveLength(expected['non-compliant']);
  });

  test('--date renders a past day from the history: yesterday nothing had been checked yet', async () => {
    const file = path.join(workdir, 'yesterday.html');
    const r = await run(['report', '--date', daysAgo(1), '--out', file]);
    expect(r.status).toBe(0);
    const html = fs.readFileSync(file, 'utf8');
    expect(html).toContain('id="summary-images" data-count="0"');
    expect(html).toContain('id="replay-note"');
    expect(fs.existsSync(path.join(workdir, 'reports', daysAgo(1).slice(0, 4), daysAgo(1).slice(5, 7), `imagewarden-${daysAgo(1)}.html`))).toBe(true);
  });

  test('errors exit 2 and say what is wrong', async () => {
    const future = await run(['report', '--date', '2999-01-01']);
    expect(future.status).toBe(2);
    expect(future.stderr).toMatch(/2999-01-01 has not begun/);
    const email = await run(['report', '--email']);
    expect(email.status).toBe(2);
    expect(email.stderr).toMatch(/report\.email/);
    const format = await run(['report', '--format', 'pdf']);
    expect(format.status).toBe(2);
    expect(format.stderr).toMatch(/unknown report format "pdf"/);
  });
});
