import { buildReportData } from '../../src/report/report-data';
import { reportDay } from '../../src/report/report-day';
import { dayIn } from '../../src/zoned-time';
import { renderReport } from '../../src/report/render';
import { addFinding, addImage, digestOf, memoryStore, policy, reportConfig, summary, verdict } from './report-test-store';

const NOW = new Date('2026-11-23T07:00:00Z');

/**
 * Digest 1: compliant on the 10th, non-compliant on the 15th, fixed on the 21st.
 * Digest 2: first seen on the 16th, unknown; scanned and compliant on the 22nd.
 * Digest 3: first seen on the 22nd at 10:00, non-compliant.
 */
function historyStore() {
  const db = memoryStore();
  addImage(db, { repository: 'a', tag: '1', digest: digestOf(1), source: 'lab', seen: '2026-11-10T00:00:00Z' });
  addImage(db, { repository: 'b', tag: '1', digest: digestOf(2), source: 'lab', seen: '2026-11-16T00:00:00Z' });
  addImage(db, { repository: 'c', tag: '1', digest: digestOf(3), source: 'lab', seen: '2026-11-22T10:00:00Z' });
  verdict(db, digestOf(1), 'compliant', '2026-11-10T01:00:00Z');
  verdict(db, digestOf(1), 'non-compliant', '2026-11-15T12:00:00Z', { failed: [policy('Fixable', ['CVE-1 in zlib'], 'upgrade zlib')], summary: summary({ High: 1 }) });
  verdict(db, digestOf(2), 'unknown', '2026-11-16T01:00:00Z', { summary: null, reason: 'registry unreachable' });
  verdict(db, digestOf(1), 'compliant', '2026-11-21T08:00:00Z');
  verdict(db, digestOf(2), 'compliant', '2026-11-22T03:00:00Z');
  verdict(db, digestOf(3), 'non-compliant', '2026-11-22T10:30:00Z', { failed: [policy('Latest tag')] });
  addFinding(db, digestOf(1), { advisoryId: 'CVE-1', package: 'zlib', fixed: '1.3', severity: 'High', firstSeen: '2026-11-15T12:00:00Z' });
  addFinding(db, digestOf(3), { advisoryId: 'CVE-2', package: 'curl', severity: 'Low', firstSeen: '2026-11-22T10:30:00Z' });
  return db;
}

describe('--date: a past day replayed from the verdict history', () => {
  test('the state at the end of each day, not the current verdicts', () => {
    const db = historyStore();
    const config = reportConfig();
    const day = (d: string) => buildReportData(db, config, d, NOW);

    expect(day('2026-11-09').summary).toEqual({ images: 0, compliant: 0, nonCompliant: 0, unknown: 0 });
    expect(day('2026-11-10').summary).toEqual({ images: 1, compliant: 1, nonCompliant: 0, unknown: 0 });
    const nov16 = day('2026-11-16');
    expect(nov16.replayed).toBe(true);
    expect(nov16.asOf).toBe('2026-11-17T00:00:00.000Z');
    expect(nov16.summary).toEqual({ images: 2, compliant: 0, nonCompliant: 1, unknown: 1 });
    expect(nov16.unknownImages).toEqual([{ digest: digestOf(2), references: ['127.0.0.1:5000/b:1'], reason: 'registry unreachable' }]);
    // Names survive in the history; the details come from the policy as verdicts describe it now.
    expect(nov16.policies).toEqual([expect.objectContaining({ name: 'Fixable', images: 1 })]);
    expect(nov16.images.find((i) => i.digest === digestOf(1))).toMatchObject({ verdict: 'non-compliant', failedPolicies: ['Fixable'], counts: null, violations: null });
    expect(nov16.vulnerabilities).toEqual([expect.objectContaining({ advisoryId: 'CVE-1', images: 1 })]);

    const nov21 = day('2026-11-21');
    expect(nov21.summary).toEqual({ images: 2, compliant: 1, nonCompliant: 0, unknown: 1 });
    expect(nov21.changes.fixed.map((c) => c.digest)).toEqual([digestOf(1)]);
    expect(nov21.changes.newlyNonCompliant).toEqual([]);

    const nov22 = day('2026-11-22');
    expect(nov22.summary).toEqual({ images: 3, compliant: 2, nonCompliant: 1, unknown: 0 });
    expect(nov22.changes.newImages.map((c) => c.references)).toEqual([['127.0.0.1:5000/c:1']]);
    expect(nov22.changes.newlyNonCompliant.map((c) => [c.digest, c.from, c.to, c.cause])).toEqual([[digestOf(3), null, 'non-compliant', 'new-image']]);
    // The scan of digest 2 that day moved it out of unknown: neither fixed nor new.
    expect(nov22.changes.fixed).toEqual([]);
    // Findings first seen later are not shown on an earlier day.
    expect(nov21.vulnerabilities.map((v) => v.advisoryId)).toEqual(['CVE-1']);
    expect(nov22.vulnerabilities.map((v) => v.advisoryId).sort()).toEqual(['CVE-1', 'CVE-2']);
  });

  test('today is the current verdicts, with severity counts and violations', () => {
    const db = historyStore();
    const today = buildReportData(db, reportConfig(), '2026-11-23', NOW);
    expect(today.replayed).toBe(false);
    expect(today.asOf).toBe(NOW.toISOString());
    expect(today.summary).toEqual({ images: 3, compliant: 2, nonCompliant: 1, unknown: 0 });
    expect(today.images[0]).toMatchObject({ digest: digestOf(3), verdict: 'non-compliant', counts: { critical: 0, high: 0, medium: 0, low: 0 }, violations: ['Latest tag: Latest tag failed'] });
    // The last 24 hours: digest 3 (new, non-compliant) and digest 2's scan.
    expect(today.window).toEqual({ from: '2026-11-22T07:00:00.000Z', to: '2026-11-23T07:00:00.000Z' });
    expect(today.changes.newlyNonCompliant.map((c) => c.digest)).toEqual([digestOf(3)]);
  });

  test('a replayed day renders, saying so, without severity counts it does not have', () => {
    const db = historyStore();
    const config = reportConfig();
    const { html } = renderReport(buildReportData(db, config, '2026-11-16', NOW), config);
    expect(html).toContain('id="replay-note"');
    expect(html).toContain('id="summary-unknown" data-count="1"');
    expect(html).toMatch(/colspan="4">not known/);
  });

  test('days follow the configured time zone, including a 25-hour day', () => {
    expect(reportDay('2026-10-25', 'Europe/Paris')).toEqual({
      day: '2026-10-25',
      start: new Date('2026-10-24T22:00:00Z'),
      end: new Date('2026-10-25T23:00:00Z'),
    });
    expect(reportDay('2026-11-23', 'America/New_York').start).toEqual(new Date('2026-11-23T05:00:00Z'));
    expect(dayIn('Asia/Tokyo', new Date('2026-11-23T16:00:00Z'))).toBe('2026-11-24');
    expect(() => reportDay('2026-02-30', 'UTC')).toThrow(/YYYY-MM-DD/);
    expect(() => reportDay('23/11/2026', 'UTC')).toThrow(/YYYY-MM-DD/);
  });
});
