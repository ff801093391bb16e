import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Job, JobContext } from '../../jobs/job';
import { parseConfig } from '../../src/config/load';
import { JobRunner, type RunOutcome } from '../../src/daemon/job-runner';
import { FeedError } from '../../src/errors';
import { openDatabase, type Db } from '../../src/store/database';
import { JobRunStore } from '../../src/store/job-runs';

/** A job that runs until the test lets it finish, so overlap can be provoked deterministically. */
function gatedJob(name: string): Job<{ done: number }> & { release: () => void; contexts: JobContext[] } {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const contexts: JobContext[] = [];
  return {
    name,
    contexts,
    release: () => release(),
    async run(ctx) {
      contexts.push(ctx);
      ctx.log(`${name}: working`);
      await gate;
      return { done: 1 };
    },
  };
}

const config = parseConfig({});
let dir: string;
let dbFile: string;
let db: Db;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'imagewarden-runner-'));
  dbFile = path.join(dir, 'store.db');
  db = openDatabase(dbFile);
});

afterEach(() => {
  db.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('job runner: run history', () => {
  test('a run whose history cannot be written does not run, and does not keep its lock', async () => {
    const job = gatedJob('feeds');
    const broken = openDatabase(dbFile);
    broken.close();
    const failed = await new JobRunner({ config, db: broken }).run(job, 'schedule').then(
      (outcome) => outcome,
      (e: unknown) => e,
    );
    // Rejected with the store's error (a TypeError from the driver), not resolved as an outcome.
    expect(String(failed)).toMatch(/database connection is not open/);
    expect(job.contexts).toHaveLength(0);
    // The lock file of that database is free again: another runner on it runs the job.
    const next = new JobRunner({ config, db }).run(job, 'schedule');
    job.release();
    expect(await next).toMatchObject({ status: 'succeeded' });
  });

  test('a run stopped by shutdown is recorded interrupted with what it did, not succeeded', async () => {
    const shutdown = new AbortController();
    const job: Job<{ scanned: number }> = {
      name: 'sweep',
      async run() {
        shutdown.abort(new Error('SIGTERM'));
        return { scanned: 3 };
      },
    };
    const outcome = await new JobRunner({ config, db, signal: shutdown.signal }).run(job, 'schedule');
    expect(outcome).toMatchObject({ status: 'interrupted', summary: { scanned: 3 } });
    expect(new JobRunStore(db).recent(1)[0]).toMatchObject({ status: 'interrupted', summary: { scanned: 3 } });
    expect(new JobRunStore(db).lastSuccesses()).toEqual([]);
  });

  test('a successful run is recorded running, then succeeded with its summary', async () => {
    const job = gatedJob('match');
    const runner = new JobRunner({ config, db });
    const done = runner.run(job, 'schedule');
    const store = new JobRunStore(db);
    expect(store.recent(5)).toEqual([expect.objectContaining({ job: 'match', trigger: 'schedule', status: 'running' })]);
    expect(store.recent(5)[0].finishedAt).toBeUndefined();
    job.release();
    const outcome = await done;
    expect(outcome).toMatchObject({ status: 'succeeded', summary: { done: 1 } });
    const [row] = store.recent(5);
    expect(row).toMatchObject({ status: 'succeeded', summary: { done: 1 } });
    expect(Date.parse(row.finishedAt!)).toBeGreaterThanOrEqual(Date.parse(row.startedAt));
    expect(store.lastSuccess('match')?.id).toBe(row.id);
    expect(store.lastSuccess('feeds')).toBeUndefined();
  });

  test('a job that throws is recorded failed with its described error, and the error is returned', async () => {
    const runner = new JobRunner({ config, db });
    const error = new FeedError('truncated JSON at byte 1111', { file: 'feeds/main.json' });
    const outcome = await runner.run({ name: 'feeds', run: () => Promise.reject(error) }, 'run-now');
    expect(outcome).toMatchObject({ status: 'failed', error });
    expect(new JobRunStore(db).recent(1)[0]).toMatchObject({
      job: 'feeds',
      trigger: 'run-now',
      status: 'failed',
      error: 'truncated JSON at byte 1111 (file feeds/main.json)',
    });
    expect(new JobRunStore(db).lastSuccess('feeds')).toBeUndefined();
  });

  test('recent lists the newest runs first, lastSuccess ignores later failures', async () => {
    const runner = new JobRunner({ config, db });
    await runner.run({ name: 'match', run: async () => ({ n: 1 }) }, 'schedule');
    await runner.run({ name: 'match', run: async () => ({ n: 2 }) }, 'schedule');
    await runner.run({ name: 'match', run: () => Promise.reject(new Error('boom')) }, 'schedule');
    const store = new JobRunStore(db);
    expect(store.recent(10).map((r) => r.status)).toEqual(['failed', 'succeeded', 'succeeded']);
    expect(store.recent(2)).toHaveLength(2);
    expect(store.lastSuccess('match')?.summary).toEqual({ n: 2 });
  });

  test('the job context carries the config, store, signal, source and the log line goes to the observer', async () => {
    const lines: string[] = [];
    const abort = new AbortController();
    const job = gatedJob('sweep');
    const runner = new JobRunner({ config, db, signal: abort.signal, observer: { line: (j, l) => lines.push(`${j}|${l}`) } });
    const done = runner.run(job, 'run-now', { source: 'lab' });
    job.release();
    await done;
    expect(job.contexts[0]).toMatchObject({ config, db, source: 'lab', signal: abort.signal });
    expect(lines).toEqual(['sweep|sweep: working']);
  });
});

describe('job runner: no overlap', () => {
  test('a second request while the job runs is skipped, reported, and leaves no row', async () => {
    const outcomes: Array<[string, RunOutcome['status']]> = [];
    const runner = new JobRunner({ config, db, observer: { finished: (job, _t, o) => outcomes.push([job, o.status]) } });
    const job = gatedJob('sweep');
    const first = runner.run(job, 'schedule');
    const second = await runner.run(job, 'run-now');
    expect(second).toEqual({ status: 'skipped', reason: 'a run of this job is still in progress' });
    expect(runner.running()).toEqual(['sweep']);
    // Another job is not held up by it.
    expect((await runner.run({ name: 'match', run: async () => ({}) }, 'schedule')).status).toBe('succeeded');
    job.release();
    await first;
    expect(new JobRunStore(db).recent(10).map((r) => `${r.job}:${r.status}`)).toEqual(['match:succeeded', 'sweep:succeeded']);
    expect(outcomes).toEqual([
      ['sweep', 'skipped'],
      ['match', 'succeeded'],
      ['sweep', 'succeeded'],
    ]);
    // Once finished, it runs again.
    expect((await runner.run({ name: 'sweep', run: async () => ({}) }, 'schedule')).status).toBe('succeeded');
  });

  test('two runners on one database file (daemon and run-now) do not run the same job at once', async () => {
    const daemonRunner = new JobRunner({ config, db });
    const other = openDatabase(dbFile);
    try {
      const job = gatedJob('feeds');
      const first = daemonRunner.run(job, 'schedule');
      const second = await new JobRunner({ config, db: other }).run(job, 'run-now');
      expect(second.status).toBe('skipped');
      job.release();
      await first;
      expect((await new JobRunner({ config, db: other }).run(job, 'run-now')).status).toBe('succeeded');
    } finally {
      other.close();
    }
  });

  test('a lock held by another live process makes the run skip, naming that process', async () => {
    // The jest parent process is alive for the whole test.
    fs.writeFileSync(`${dbFile}.sweep.lock`, String(process.ppid));
    const outcome = await new JobRunner({ config, db }).run({ name: 'sweep', run: async () => ({}) }, 'schedule');
    expect(outcome).toEqual({ status: 'skipped', reason: `a run of this job is in progress in process ${process.ppid}` });
    expect(new JobRunStore(db).recent(5)).toEqual([]);
  });

  test('an in-memory database is locked within the process', async () => {
    const memory = openDatabase(':memory:');
    try {
      const runner = new JobRunner({ config, db: memory });
      const job = gatedJob('match');
      const first = runner.run(job, 'schedule');
      expect((await runner.run(job, 'schedule')).status).toBe('skipped');
      job.release();
      expect((await first).status).toBe('succeeded');
    } finally {
      memory.close();
    }
  });
});

describe('job runner: runs a dead process left running', () => {
  function deadPid(): number {
    const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
    return Number(child.stdout.toString());
  }

  test('recoverInterrupted marks them interrupted when no live process holds the job', () => {
    const store = new JobRunStore(db);
    const crashed = store.start('sweep', 'schedule', new Date('2026-11-20T02:00:00Z'));
    fs.writeFileSync(`${dbFile}.sweep.lock`, String(deadPid()));
    const live = store.start('feeds', 'run-now');
    fs.writeFileSync(`${dbFile}.feeds.lock`, String(process.ppid));

    expect(new JobRunner({ config, db }).recoverInterrupted()).toEqual(['sweep']);
    const byId = new Map(store.recent(10).map((r) => [r.id, r]));
    expect(byId.get(crashed)).toMatchObject({ status: 'interrupted', error: expect.stringContaining('stopped before it finished') });
    expect(byId.get(crashed)?.finishedAt).toBeDefined();
    expect(byId.get(live)?.status).toBe('running');
    // The stale lock file was taken over and released again.
    expect(fs.existsSync(`${dbFile}.sweep.lock`)).toBe(false);
  });

  test('starting a job closes its own leftover running row before recording the new run', async () => {
    const store = new JobRunStore(db);
    const crashed = store.start('match', 'schedule');
    await new JobRunner({ config, db }).run({ name: 'match', run: async () => ({}) }, 'schedule');
    expect(store.recent(10).map((r) => [r.id === crashed, r.status])).toEqual([
      [false, 'succeeded'],
      [true, 'interrupted'],
    ]);
  });

  test('abandon records the runs still going as interrupted, and their late end is not written', async () => {
    const runner = new JobRunner({ config, db });
    const job = gatedJob('sweep');
    const done = runner.run(job, 'schedule');
    expect(runner.abandon()).toEqual(['sweep']);
    job.release();
    await done;
    await runner.idle();
    expect(new JobRunStore(db).recent(5)).toEqual([expect.objectContaining({ job: 'sweep', status: 'interrupted' })]);
  });

  test('idle resolves only after every run started here has ended', async () => {
    const runner = new JobRunner({ config, db });
    const job = gatedJob('sweep');
    void runner.run(job, 'schedule');
    let idle = false;
    const waiting = runner.idle().then(() => (idle = true));
    await new Promise((r) => setTimeout(r, 20));
    expect(idle).toBe(false);
    job.release();
    await waiting;
    expect(idle).toBe(true);
    expect(fs.existsSync(`${dbFile}.sweep.lock`)).toBe(false);
  });
});
