import { register as globalRegistry } from 'prom-client';
import { DaemonMetrics } from '../../src/daemon/metrics';
import { openDatabase, type Db } from '../../src/store/database';
import { JobRunStore } from '../../src/store/job-runs';

let db: Db;
const now = new Date('2026-11-23T12:00:00Z');

beforeEach(() => {
  db = openDatabase(':memory:');
  const verdict = db.prepare(
    "INSERT INTO verdicts (digest, state, failed_policies, summary, reason, inputs, evaluated_at, changed_at) VALUES (?, ?, '[]', 'null', NULL, '{}', ?, ?)",
  );
  const at = now.toISOString();
  for (const [digest, state] of [
    ['sha256:a', 'compliant'],
    ['sha256:b', 'non-compliant'],
    ['sha256:c', 'non-compliant'],
    ['sha256:d', 'non-compliant'],
  ]) verdict.run(digest, state, at, at);
  db.prepare("INSERT INTO feeds (name, format, source, imported_at, advisories, namespaces) VALUES (?, 'osv', 'x', ?, 1, '[]')").run(
    'alpine-main',
    '2026-11-23T10:00:00.000Z',
  );
});

afterEach(() => db.close());

/** The value of one sample line, e.g. `imagewarden_images{verdict="unknown"}`. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('daemon metrics', () => {
  test('image verdicts are read from the store at scrape time, every state present', async () => {
    const metrics = new DaemonMetrics(db, [], () => now);
    let text = await metrics.text();
    expect(sample(text, 'imagewarden_images{verdict="compliant"}')).toBe(1);
    expect(sample(text, 'imagewarden_images{verdict="non-compliant"}')).toBe(3);
    expect(sample(text, 'imagewarden_images{verdict="unknown"}')).toBe(0);
    db.prepare("UPDATE verdicts SET state = 'unknown' WHERE digest = 'sha256:b'").run();
    text = await metrics.text();
    expect(sample(text, 'imagewarden_images{verdict="non-compliant"}')).toBe(2);
    expect(sample(text, 'imagewarden_images{verdict="unknown"}')).toBe(1);
  });

  test('feed age is the time since the feed was imported', async () => {
    const text = await new DaemonMetrics(db, [], () => now).text();
    expect(sample(text, 'imagewarden_feed_age_seconds{feed="alpine-main"}')).toBe(7200);
  });

  test('the last successful run comes from job_runs, so it survives a restart', async () => {
    const runs = new JobRunStore(db);
    const ok = runs.start('match', 'schedule', new Date('2026-11-23T11:00:00Z'));
    runs.finish(ok, {}, new Date('2026-11-23T11:00:05Z'));
    const bad = runs.start('match', 'schedule', new Date('2026-11-23T11:30:00Z'));
    runs.fail(bad, 'boom', new Date('2026-11-23T11:30:01Z'));
    runs.start('feeds', 'schedule');
    const text = await new DaemonMetrics(db, [], () => now).text();
    expect(sample(text, 'imagewarden_last_successful_run_timestamp_seconds{job="match"}')).toBe(Date.parse('2026-11-23T11:00:05Z') / 1000);
    expect(text).not.toContain('imagewarden_last_successful_run_timestamp_seconds{job="feeds"}');
  });

  test('run outcomes count by job and status; durations go to the histogram; scheduled jobs start at 0', async () => {
    const metrics = new DaemonMetrics(db, ['feeds', 'match'], () => now);
    let text = await metrics.text();
    expect(sample(text, 'imagewarden_job_runs_total{job="feeds",status="succeeded"}')).toBe(0);
    expect(sample(text, 'imagewarden_job_runs_total{job="match",status="failed"}')).toBe(0);
    metrics.recordOutcome('match', { status: 'succeeded', runId: 1, summary: {}, durationSeconds: 1.5 });
    metrics.recordOutcome('match', { status: 'succeeded', runId: 2, summary: {}, durationSeconds: 40 });
    metrics.recordOutcome('match', { status: 'failed', runId: 3, error: new Error('x'), durationSeconds: 0.1 });
    metrics.recordOutcome('match', { status: 'skipped', reason: 'still running' });
    text = await metrics.text();
    expect(sample(text, 'imagewarden_job_runs_total{job="match",status="succeeded"}')).toBe(2);
    expect(sample(text, 'imagewarden_job_runs_total{job="match",status="failed"}')).toBe(1);
    expect(sample(text, 'imagewarden_job_runs_total{job="match",status="skipped"}')).toBe(1);
    expect(sample(text, 'imagewarden_job_duration_seconds_count{job="match"}')).toBe(3);
    expect(sample(text, 'imagewarden_job_duration_seconds_sum{job="match"}')).toBeCloseTo(41.6);
    expect(sample(text, 'imagewarden_job_duration_seconds_bucket{le="2",job="match"}')).toBe(2);
  });

  test('images scanned and scan failures come from the sweep summary only', async () => {
    const metrics = new DaemonMetrics(db, [], () => now);
    metrics.recordOutcome('sweep', { status: 'succeeded', runId: 1, summary: { scanned: 7, failed: 2, skipped: 40 }, durationSeconds: 1 });
    metrics.recordOutcome('sweep', { status: 'succeeded', runId: 2, summary: { scanned: 3 }, durationSeconds: 1 });
    // The feeds job's `failed` counts feeds, not images.
    metrics.recordOutcome('feeds', { status: 'succeeded', runId: 3, summary: { feeds: 2, failed: 1 }, durationSeconds: 1 });
    const text = await metrics.text();
    expect(sample(text, 'imagewarden_images_scanned_total')).toBe(10);
    expect(sample(text, 'imagewarden_scan_failures_total')).toBe(2);
  });

  test('a registry of its own, with the default process metrics, in Prometheus text format', async () => {
    const metrics = new DaemonMetrics(db, ['match'], () => now);
    const text = await metrics.text();
    expect(metrics.contentType).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(text).toMatch(/^process_cpu_user_seconds_total \d/m);
    expect(text).toMatch(/^nodejs_heap_size_used_bytes \d/m);
    expect(text).toContain('# TYPE imagewarden_job_duration_seconds histogram');
    expect(text).toContain('# TYPE imagewarden_images gauge');
    expect(await globalRegistry.metrics()).not.toContain('imagewarden_');
    // A second instance (a restarted daemon in the same process) does not collide.
    expect(() => new DaemonMetrics(db, ['match'])).not.toThrow();
  });
});
