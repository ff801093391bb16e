import { FairScheduler } from '../../src/sweep/fair-scheduler';

/** A task the test finishes by hand, recording when it started. */
function controlledTasks() {
  const started: string[] = [];
  const finishers = new Map<string, (ok: boolean) => void>();
  const running = new Set<string>();
  let peak = 0;
  const peakBySource = new Map<string, number>();
  const task = (name: string) => () =>
    new Promise<string>((resolve, reject) => {
      started.push(name);
      running.add(name);
      peak = Math.max(peak, running.size);
      const source = name[0]!;
      const ofSource = [...running].filter((r) => r[0] === source).length;
      peakBySource.set(source, Math.max(peakBySource.get(source) ?? 0, ofSource));
      finishers.set(name, (ok) => {
        running.delete(name);
        if (ok) resolve(name);
        else reject(new Error(`${name} failed`));
      });
    });
  const finish = async (name: string, ok = true) => {
    const f = finishers.get(name);
    if (!f) throw new Error(`${name} has not started`);
    f(ok);
    // Let the scheduler react to the settled task.
    for (let i = 0; i < 5; i++) await Promise.resolve();
  };
  return { started, task, finish, peak: () => peak, peakOf: (s: string) => peakBySource.get(s) ?? 0 };
}

describe('the fair scan scheduler', () => {
  it('gives a source that arrives late its turn instead of queueing it behind a slow source', async () => {
    const t = controlledTasks();
    const scheduler = new FairScheduler({ total: 2, perSource: () => 2 });
    const slow = Array.from({ length: 10 }, (_, i) => scheduler.submit('slow', t.task(`s${i}`)));
    const fast = Array.from({ length: 3 }, (_, i) => scheduler.submit('fast', t.task(`f${i}`)));
    expect(t.started).toEqual(['s0', 's1']);
    await t.finish('s0');
    expect(t.started).toEqual(['s0', 's1', 'f0']);
    await t.finish('s1');
    await t.finish('f0');
    await t.finish('s2');
    // Slots alternate between the sources while both have work.
    expect(t.started).toEqual(['s0', 's1', 'f0', 's2', 'f1', 's3']);
    await t.finish('f1');
    await t.finish('s3');
    await t.finish('f2');
    expect(await Promise.all(fast)).toEqual([0, 1, 2].map((i) => ({ started: true, value: `f${i}` })));
    for (let i = 4; i < 10; i++) await t.finish(`s${i}`);
    expect((await Promise.all(slow)).every((r) => r.started)).toBe(true);
    expect(t.peak()).toBe(2);
  });

  it('never runs more than a source\'s own limit, and lets others use the remaining slots', async () => {
    const t = controlledTasks();
    const limits: Record<string, number> = { a: 1, b: 3 };
    const scheduler = new FairScheduler({ total: 3, perSource: (s) => limits[s]! });
    for (let i = 0; i < 4; i++) void scheduler.submit('a', t.task(`a${i}`));
    for (let i = 0; i < 4; i++) void scheduler.submit('b', t.task(`b${i}`));
    expect(t.started).toEqual(['a0', 'b0', 'b1']);
    await t.finish('b0');
    expect(t.started).toEqual(['a0', 'b0', 'b1', 'b2']);
    await t.finish('a0');
    expect(t.started.at(-1)).toBe('a1');
    for (const name of ['b1', 'b2', 'a1', 'b3', 'a2', 'a3']) await t.finish(name);
    await scheduler.idle();
    expect(t.peakOf('a')).toBe(1);
    expect(t.peak()).toBe(3);
  });

  it('on stop, settles queued tasks as not started and lets running ones finish', async () => {
    const t = controlledTasks();
    const scheduler = new FairScheduler({ total: 1, perSource: () => 1 });
    const first = scheduler.submit('a', t.task('a0'));
    const second = scheduler.submit('a', t.task('a1'));
    scheduler.stop();
    expect(await second).toEqual({ started: false });
    expect(await scheduler.submit('a', t.task('a2'))).toEqual({ started: false });
    await t.finish('a0');
    expect(await first).toEqual({ started: true, value: 'a0' });
    await scheduler.idle();
    expect(t.started).toEqual(['a0']);
  });

  it('passes a task\'s failure to its submitter and goes on with the queue', async () => {
    const t = controlledTasks();
    const scheduler = new FairScheduler({ total: 1, perSource: () => 1 });
    const failing = scheduler.submit('a', t.task('a0'));
    const next = scheduler.submit('a', t.task('a1'));
    await t.finish('a0', false);
    await expect(failing).rejects.toThrow('a0 failed');
    await t.finish('a1');
    expect(await next).toEqual({ started: true, value: 'a1' });
  });

  it('refuses a total limit below one', () => {
    expect(() => new FairScheduler({ total: 0, perSource: () => 1 })).toThrow(RangeError);
  });
});
