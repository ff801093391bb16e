import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import Database from 'better-sqlite3';
import { openDatabase } from '../../src/store/database';
import { JobRunStore } from '../../src/store/job-runs';
import { terminate, trackChild } from '../support/child-processes';
import { cli } from '../support/run-imagewarden';
import { loadTestEnvironment } from '../support/test-environment';

const CLI = path.join(__dirname, '../../dist/src/cli/main.js');
const FEED = path.join(__dirname, '../fixtures/feeds/alpine-secdb/v3.10-main.yaml');

interface LogLine {
  level: number;
  msg: string;
  job?: string;
  trigger?: string;
  status?: string;
  summary?: Record<string, number>;
  address?: string;
  exitCode?: number;
}

interface JobRunRow {
  job: string;
  trigger: string;
  status: string;
  started_at: string;
  finished_at: string | null;
  summary: string | null;
  error: string | null;
}

/** A running `imagewarden daemon` with its parsed JSON log. */
class DaemonProcess {
  readonly lines: LogLine[] = [];
  readonly stderr: string[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private readonly child: ChildProcessWithoutNullStreams;

  constructor(config: string) {
    this.child = spawn(process.execPath, [CLI, '--config', config, 'daemon'], { env: { ...process.env, NO_COLOR: '1' } });
    trackChild(this.child);
    let pending = '';
    this.child.stdout.on('data', (d: Buffer) => {
      pending += d.toString();
      const complete = pending.split('\n');
      pending = complete.pop()!;
      // Every stdout line must be a JSON log record: anything else would break log shipping.
      for (const line of complete) if (line.trim()) this.lines.push(JSON.parse(line) as LogLine);
    });
    this.child.stderr.on('data', (d: Buffer) => this.stderr.push(d.toString()));
    this.exited = new Promise((resolve) => this.child.once('exit', (code, signal) => resolve({ code, signal })));
  }

  kill(signal: NodeJS.Signals): void {
    this.child.kill(signal);
  }

  stop(): Promise<void> {
    return terminate(this.child);
  }

  async waitFor<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await probe();
      if (value !== undefined) return value;
      if (Date.now() > deadline) {
        throw new Error(`timed out waiting for ${what}; log:\n${this.lines.map((l) => JSON.stringify(l)).join('\n')}\nstderr: ${this.stderr.join('')}`);
      }
      await sleep(250);
    }
  }
}

/** The value of one sample line of the Prometheus text, e.g. `imagewarden_images{verdict="unknown"}`. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

function jobRuns(db: string): JobRunRow[] {
  const handle = new Database(db, { readonly: true, fileMustExist: true });
  try {
    return handle.prepare<[], JobRunRow>('SELECT job, trigger, status, started_at, finished_at, summary, error FROM job_runs ORDER BY id').all();
  } finally {
    handle.close();
  }
}

function verdictCounts(db: string): Record<string, number> {
  const handle = new Database(db, { readonly: true, fileMustExist: true });
  try {
    const rows = handle.prepare<[], { state: string; n: number }>('SELECT state, count(*) AS n FROM verdicts GROUP BY state').all();
    return Object.fromEntries(rows.map((r) => [r.state, r.n]));
  } finally {
    handle.close();
  }
}

let dir: string;
let daemon: DaemonProcess | undefined;

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'imagewarden-daemon-'));
});

afterAll(async () => {
  await daemon?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('imagewarden daemon', () => {
  const env = () => loadTestEnvironment();

  function writeConfig(name: string, extra: object = {}): { config: string; db: string } {
    const config = path.join(dir, `${name}.yaml`);
    const db = path.join(dir, `${name}.db`);
    const open = env().registries.open;
    writeFileSync(
      config,
      JSON.stringify({
        database: db,
        timezone: 'Europe/Paris',
        schedules: { feeds: '*/3 * * * * *', match: '1-59/3 * * * * *', sweep: '*/4 * * * * *' },
        http: { listen: '127.0.0.1:0' },
        daemon: { shutdownGraceSeconds: 30 },
        scan: { workers: 1, maxConcurrentScans: 2 },
        registries: [{ host: open.host, insecure: true }],
        // One small repository: alpine 3.10 (covered by the feed) and 3.14 (not covered).
        sources: [{ name: 'lab', type: 'registry', url: open.url, repositories: { include: ['archives/alpine'] } }],
        feeds: [{ name: 'alpine-3.10-main', path: FEED }],
        ...extra,
      }),
    );
    return { config, db };
  }

  test('runs the scheduled jobs, records them, serves probes and metrics, and stops cleanly on SIGTERM', async () => {
    const files = writeConfig('scheduled');
    // A run a killed process left behind: the daemon closes it as interrupted when it starts.
    const seed = openDatabase(files.db);
    new JobRunStore(seed).start('sweep', 'schedule', new Date('2026-11-20T02:00:00Z'));
    seed.close();
    const started = Date.now();
    daemon = new DaemonProcess(files.config);
    const d = daemon;

    const address = await d.waitFor('the listening line', () => d.lines.find((l) => l.address)?.address);
    expect(address).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(address).not.toBe('127.0.0.1:0');
    const base = `http://${address}`;
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    await d.waitFor('readiness', async () => ((await fetch(`${base}/readyz`)).status === 200 ? true : undefined), 10_000);
    expect((await fetch(`${base}/nowhere`)).status).toBe(404);

    // Two completed runs of each job, in the history and in the metrics.
    const runs = await d.waitFor('two successful runs of feeds, match and sweep', () => {
      const rows = jobRuns(files.db);
      const ok = (job: string) => rows.filter((r) => r.job === job && r.status === 'succeeded').length;
      return ok('feeds') >= 2 && ok('match') >= 2 && ok('sweep') >= 2 ? rows : undefined;
    }, 90_000);
    expect(runs[0]).toMatchObject({ job: 'sweep', status: 'interrupted', started_at: '2026-11-20T02:00:00.000Z' });
    expect(d.lines.some((l) => l.msg.startsWith('marked the unfinished runs of sweep interrupted'))).toBe(true);
    expect(runs.every((r) => r.trigger === 'schedule')).toBe(true);
    expect(runs.filter((r) => r.status === 'failed')).toEqual([]);
    const sweeps = runs.filter((r) => r.job === 'sweep' && r.status === 'succeeded').map((r) => JSON.parse(r.summary!) as Record<string, number>);
    // The first sweep scans both digests; the next ones reuse the stored inventories.
    expect(sweeps[0]).toMatchObject({ sources: 1, digests: 2, scanned: 2, failed: 0 });
    expect(sweeps[1]).toMatchObject({ digests: 2, scanned: 0, reused: 2 });
    const feeds = JSON.parse(runs.find((r) => r.job === 'feeds' && r.status === 'succeeded')!.summary!) as Record<string, number>;
    expect(feeds).toMatchObject({ feeds: 1, imported: 1, failed: 0 });

    const scrape = await fetch(`${base}/metrics`);
    expect(scrape.status).toBe(200);
    expect(scrape.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await scrape.text();
    for (const job of ['feeds', 'match', 'sweep']) {
      expect(sample(text, `imagewarden_job_runs_total{job="${job}",status="succeeded"}`)).toBeGreaterThanOrEqual(2);
      expect(sample(text, `imagewarden_job_duration_seconds_count{job="${job}"}`)).toBeGreaterThanOrEqual(2);
      const last = sample(text, `imagewarden_last_successful_run_timestamp_seconds{job="${job}"}`)!;
      expect(last * 1000).toBeGreaterThanOrEqual(started - 1000);
      expect(last * 1000).toBeLessThanOrEqual(Date.now() + 1000);
    }
    expect(sample(text, 'imagewarden_job_runs_total{job="feeds",status="failed"}')).toBe(0);
    // The gauges are the verdicts table's counts, one verdict per digest.
    const stored = verdictCounts(files.db);
    expect(Object.values(stored).reduce((a, b) => a + b, 0)).toBe(2);
    for (const verdict of ['compliant', 'non-compliant', 'unknown']) {
      expect(sample(text, `imagewarden_images{verdict="${verdict}"}`)).toBe(stored[verdict] ?? 0);
    }
    // alpine 3.14 has no feed: it cannot be assessed, so it is not compliant whatever the policy.
    expect(sample(text, 'imagewarden_images{verdict="compliant"}')).toBeLessThanOrEqual(1);
    expect(sample(text, 'imagewarden_images_scanned_total')).toBe(2);
    expect(sample(text, 'imagewarden_scan_failures_total')).toBe(0);
    const feedAge = sample(text, 'imagewarden_feed_age_seconds{feed="alpine-3.10-main"}')!;
    expect(feedAge).toBeGreaterThanOrEqual(0);
    expect(feedAge).toBeLessThan(10);
    expect(text).toMatch(/^process_resident_memory_bytes \d+/m);

    // One log line per job start and finish, the finish with its summary.
    const finished = d.lines.filter((l) => l.msg === 'match succeeded');
    expect(finished.length).toBeGreaterThanOrEqual(2);
    expect(finished[0]).toMatchObject({ job: 'match', trigger: 'schedule', status: 'succeeded', summary: expect.objectContaining({ inventories: expect.any(Number) }) });
    expect(d.lines.filter((l) => l.msg === 'match started').length).toBeGreaterThanOrEqual(finished.length);
    // The jobs' own summary lines are in the log, attributed to their job.
    expect(d.lines.some((l) => l.job === 'feeds' && l.msg.startsWith('feeds: 1 imported'))).toBe(true);

    d.kill('SIGTERM');
    const exit = await d.exited;
    expect(exit).toEqual({ code: 0, signal: null });
    expect(d.stderr.join('')).toBe('');
    await expect(fetch(`${base}/readyz`)).rejects.toThrow();
    expect(d.lines.at(-1)).toMatchObject({ msg: 'stopped', exitCode: 0 });
    const after = jobRuns(files.db);
    expect(after.length).toBeGreaterThanOrEqual(runs.length);
    expect(after.filter((r) => r.status === 'running' || r.finished_at === null)).toEqual([]);
  });

  test('run-now goes through the runner: recorded with trigger run-now; a failing job exits 2 with its error recorded', async () => {
    const files = writeConfig('run-now');
    const ok = await cli(['run-now', '--job', 'feeds'], { config: files.config });
    expect(ok.status).toBe(0);
    expect(ok.stdout).toContain('feeds: 1 imported');
    expect(jobRuns(files.db)).toEqual([expect.objectContaining({ job: 'feeds', trigger: 'run-now', status: 'succeeded' })]);

    const unknownSource = await cli(['run-now', '--job', 'sweep', '--source', 'nowhere'], { config: files.config });
    expect(unknownSource.status).toBe(2);
    expect(unknownSource.stderr).toContain('--source nowhere: no such source in the config (it has lab)');

    // A rule the policy engine does not know stops the sweep before any download.
    const broken = writeConfig('broken-policy', { policies: { rules: [{ name: 'Mystery', rule: 'no-such-rule' }] } });
    const failed = await cli(['run-now', '--job', 'sweep', '--source', 'lab'], { config: broken.config });
    expect(failed.status).toBe(2);
    expect(failed.stderr).toMatch(/^imagewarden: .*no-such-rule/m);
    const [row] = jobRuns(broken.db);
    expect(row).toMatchObject({ job: 'sweep', trigger: 'run-now', status: 'failed' });
    expect(row.error).toContain('no-such-rule');
  });

  test('a listen address already in use stops the daemon at start with exit 2 naming http.listen', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    try {
      const port = (blocker.address() as AddressInfo).port;
      const files = writeConfig('busy-port', { http: { listen: `127.0.0.1:${port}` } });
      const result = await cli(['daemon'], { config: files.config, timeoutMs: 20_000 });
      expect(result.status).toBe(2);
      expect(result.stderr).toContain(`cannot listen on 127.0.0.1:${port}`);
      expect(result.stderr).toContain('key http.listen');
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });
});
