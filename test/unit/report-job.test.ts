import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { jobNamed } from '../../jobs';
import { reportJob } from '../../jobs/report';
import { dayIn } from '../../src/zoned-time';
import { digestOf, memoryStore, policy, reportConfig, verdict } from './report-test-store';

describe('the report job', () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'iw-report-job-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('takes the snapshot, archives today\'s report and records it; without report.email nothing is mailed', async () => {
    const db = memoryStore();
    const now = new Date();
    verdict(db, digestOf(1), 'compliant', new Date(now.getTime() - 3_600_000).toISOString());
    verdict(db, digestOf(2), 'non-compliant', new Date(now.getTime() - 3_600_000).toISOString(), { failed: [policy('Fixable')] });
    const config = reportConfig({ timezone: 'Europe/Paris', report: { directory: dir, title: 'lab', staleFeedHours: 48 } });
    const lines: string[] = [];
    const summary = await reportJob.run({ config, db, log: (l) => lines.push(l) });
    expect(summary).toEqual({ images: 2, compliant: 1, nonCompliant: 1, unknown: 0, newlyNonCompliant: 1, mailed: 0, failed: 0 });
    const day = dayIn('Europe/Paris', new Date());
    const file = path.join(dir, day.slice(0, 4), day.slice(5, 7), `imagewarden-${day}.html`);
    expect(fs.readFileSync(file, 'utf8')).toContain('id="summary-images" data-count="2"');
    expect(fs.readdirSync(path.dirname(file))).toEqual([path.basename(file)]);
    expect(db.prepare('SELECT day, path, subject FROM reports').all()).toEqual([{ day, path: file, subject: '[imagewarden] lab: 1/2 compliant, 1 new non-compliant' }]);
    expect(db.prepare('SELECT day, images, compliant, non_compliant, unknown FROM compliance_snapshots').all()).toEqual([
      { day, images: 2, compliant: 1, non_compliant: 1, unknown: 0 },
    ]);
    expect(lines).toEqual([`report: [imagewarden] lab: 1/2 compliant, 1 new non-compliant; archived ${file}`]);
    expect(jobNamed('report')).toBe(reportJob);
  });
});
