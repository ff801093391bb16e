import type { Logger } from 'node-cron';
import type { Job } from '../../jobs/job';
import { JOBS } from '../../jobs';
import { parseConfig } from '../../src/config/load';
import { scheduledJobs, Scheduler } from '../../src/daemon/scheduler';
import { ConfigError } from '../../src/errors';

const job = (name: string): Job<object> => ({ name, run: async () => ({}) });
const silent: Logger = { info: () => undefined, warn: () => undefined, error: () => undefined, debug: () => undefined };

describe('which jobs are scheduled', () => {
  const jobs = [job('feeds'), job('match'), job('sweep'), job('report')];

  test('exactly the jobs listed in schedules, with their expressions', () => {
    const planned = scheduledJobs({ match: '0 */6 * * *', feeds: '*/3 * * * * *' }, jobs);
    expect(planned.map((p) => [p.job.name, p.expression]).sort()).toEqual([
      ['feeds', '*/3 * * * * *'],
      ['match', '0 */6 * * *'],
    ]);
    expect(scheduledJobs({}, jobs)).toEqual([]);
  });

  test('a schedule for a job this build does not have is a config error naming schedules.<job>', () => {
    const attempt = () => scheduledJobs({ feeds: '0 * * * *', report: '0 7 * * *' }, [job('feeds'), job('match')]);
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow('schedules.report: there is no "report" job in this version (it has feeds, match)');
    try {
      attempt();
    } catch (e) {
      expect((e as ConfigError).context.key).toBe('schedules.report');
    }
  });

  test('the config contract and the JOBS registry agree for the jobs that exist', () => {
    const config = parseConfig({ schedules: Object.fromEntries(JOBS.map((j) => [j.name, '0 3 * * *'])) });
    expect(scheduledJobs(config.schedules, JOBS).map((p) => p.job.name).sort()).toEqual(JOBS.map((j) => j.name).sort());
  });
});

describe('the scheduler', () => {
  test('next runs follow the configured time zone', async () => {
    const scheduler = new Scheduler([{ job: job('report'), expression: '0 7 * * *' }], 'Asia/Tokyo', async () => undefined, silent);
    await scheduler.start();
    try {
      const [next] = scheduler.nextRuns();
      expect(next.job).toBe('report');
      // 07:00 in Tokyo (UTC+9, no daylight saving) is 22:00 UTC.
      expect(next.at?.getUTCHours()).toBe(22);
      expect(next.at?.getUTCMinutes()).toBe(0);
      expect(next.at!.getTime()).toBeGreaterThan(Date.now());
    } finally {
      await scheduler.stop();
    }
  });

  test('fires a six-field schedule every second, and not after stop', async () => {
    const fired: string[] = [];
    const scheduler = new Scheduler([{ job: job('match'), expression: '* * * * * *' }], 'UTC', async (j) => void fired.push(j.name), silent);
    await scheduler.start();
    await new Promise((r) => setTimeout(r, 2300));
    await scheduler.stop();
    expect(fired.length).toBeGreaterThanOrEqual(2);
    expect(new Set(fired)).toEqual(new Set(['match']));
    const count = fired.length;
    await new Promise((r) => setTimeout(r, 1200));
    expect(fired.length).toBe(count);
    expect(scheduler.nextRuns()).toEqual([]);
  });

  test('keeps firing while a previous run is still going: the runner, not the scheduler, decides to skip', async () => {
    let calls = 0;
    const never = new Promise<void>(() => undefined);
    const scheduler = new Scheduler(
      [{ job: job('sweep'), expression: '* * * * * *' }],
      'UTC',
      () => {
        calls++;
        return calls === 1 ? never : Promise.resolve();
      },
      silent,
    );
    await scheduler.start();
    await new Promise((r) => setTimeout(r, 2300));
    await scheduler.stop();
    expect(calls).toBeGreaterThanOrEqual(2);
  });
});
