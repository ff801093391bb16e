import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import type { Job, JobContext } from '../../jobs/job';
import { parseConfig } from '../../src/config/load';
import { Daemon } from '../../src/daemon/daemon';
import { ConfigError } from '../../src/errors';
import { openDatabase } from '../../src/store/database';
import { JobRunStore } from '../../src/store/job-runs';

let dir: string;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'imagewarden-daemon-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

/** A job that starts on the first tick and, once aborted, needs `afterAbortMs` to wind down (Infinity: never). */
function slowJob(afterAbortMs: number): Job<{ aborted: boolean }> & { started: Promise<JobContext> } {
  let began!: (ctx: JobContext) => void;
  const started = new Promise<JobContext>((resolve) => (began = resolve));
  return {
    name: 'sweep',
    started,
    run: (ctx) =>
      new Promise((resolve) => {
        began(ctx);
        ctx.signal!.addEventListener('abort', () => {
          if (Number.isFinite(afterAbortMs)) setTimeout(() => resolve({ aborted: true }), afterAbortMs);
        });
      }),
  };
}

function daemonWith(job: Job<object>, graceSeconds: number, lines: Array<Record<string, unknown>>) {
  const database = path.join(dir, 'store.db');
  const config = parseConfig({
    database,
    schedules: { sweep: '* * * * * *' },
    http: { listen: '127.0.0.1:0' },
    daemon: { shutdownGraceSeconds: graceSeconds },
  });
  const stream = { write: (s: string) => void lines.push(JSON.parse(s) as Record<string, unknown>) };
  return { daemon: new Daemon({ config, logger: pino({}, stream), jobs: [job] }), database };
}

describe('daemon shutdown', () => {
  test('not ready any more, the running job aborted and waited for, then exit 0 with the run finished', async () => {
    const lines: Array<Record<string, unknown>> = [];
    const job = slowJob(300);
    const { daemon, database } = daemonWith(job, 10, lines);
    await daemon.start();
    const base = `http://${daemon.address}`;
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
    const ctx = await job.started;
    expect(ctx.signal!.aborted).toBe(false);

    const stopped = daemon.stop('SIGTERM');
    // While the job winds down the server still answers, and says not ready.
    await new Promise((r) => setTimeout(r, 50));
    expect(ctx.signal!.aborted).toBe(true);
    expect((await fetch(`${base}/readyz`)).status).toBe(503);
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    expect(await stopped).toBe(0);
    await expect(fetch(`${base}/healthz`)).rejects.toThrow();

    const db = openDatabase(database);
    try {
      expect(new JobRunStore(db).recent(10)).toEqual([expect.objectContaining({ job: 'sweep', status: 'interrupted', summary: { aborted: true } })]);
    } finally {
      db.close();
    }
    expect(lines.some((l) => l.msg === 'stopping (SIGTERM): waiting for sweep')).toBe(true);
    expect(lines.at(-1)).toMatchObject({ msg: 'stopped', exitCode: 0 });
  });

  test('a job still running when the grace period ends: exit 1, its run recorded interrupted', async () => {
    const lines: Array<Record<string, unknown>> = [];
    const job = slowJob(Infinity);
    const { daemon, database } = daemonWith(job, 0.5, lines);
    await daemon.start();
    await job.started;
    const before = Date.now();
    expect(await daemon.stop('SIGTERM')).toBe(1);
    expect(Date.now() - before).toBeGreaterThanOrEqual(450);
    const db = openDatabase(database);
    try {
      expect(new JobRunStore(db).recent(10)).toEqual([expect.objectContaining({ job: 'sweep', status: 'interrupted' })]);
    } finally {
      db.close();
    }
    expect(lines.some((l) => l.level === 50 && String(l.msg).includes('sweep still running after 0.5s'))).toBe(true);
  });

  test('stop is idempotent: a second signal waits for the same shutdown', async () => {
    const job = slowJob(100);
    const { daemon } = daemonWith(job, 5, []);
    await daemon.start();
    await job.started;
    const [a, b] = await Promise.all([daemon.stop('SIGTERM'), daemon.stop('SIGINT')]);
    expect([a, b]).toEqual([0, 0]);
  });

  test('a schedule for a job this build lacks refuses to start, before anything listens', async () => {
    const config = parseConfig({ database: path.join(dir, 'x.db'), schedules: { report: '0 7 * * *' }, http: { listen: '127.0.0.1:0' } });
    const daemon = new Daemon({ config, logger: pino({ enabled: false }), jobs: [slowJob(0)] });
    await expect(daemon.start()).rejects.toThrow(ConfigError);
    await expect(daemon.start()).rejects.toThrow('schedules.report');
    expect(daemon.address).toBeUndefined();
    expect(fs.existsSync(path.join(dir, 'x.db'))).toBe(false);
  });
});
