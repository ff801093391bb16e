import { csvField, reportCsv, reportJson } from '../../src/report/exports';
import { buildReportData } from '../../src/report/report-data';
import { addImage, digestOf, memoryStore, policy, reportConfig, summary, verdict } from './report-test-store';

const NOW = new Date('2026-11-23T07:00:00Z');

/** A minimal RFC 4180 reader, to prove the output parses back to the same cells. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') (cell += '"'), i++;
      else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') row.push(cell), (cell = '');
    else if (c === '\r' && text[i + 1] === '\n') row.push(cell), rows.push(row), (row = []), (cell = ''), i++;
    else cell += c;
  }
  return rows;
}

describe('CSV export', () => {
  test('fields with commas, quotes and line breaks are quoted; others are not', () => {
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('two\nlines')).toBe('"two\nlines"');
    expect(csvField('')).toBe('');
  });

  test('one row per image reference, with its source and namespace; unknown counts are empty, not 0', () => {
    const db = memoryStore();
    const d1 = digestOf(1);
    addImage(db, { repository: 'team/app', tag: '1.0', digest: d1, source: 'lab', namespace: 'ns,1', seen: '2026-11-20T00:00:00Z' });
    addImage(db, { repository: 'team/app', tag: 'latest', digest: d1, source: 'prod', namespace: 'team-a', seen: '2026-11-20T00:00:00Z' });
    verdict(db, d1, 'non-compliant', '2026-11-20T00:00:00Z', {
      failed: [policy('Fixable "Critical", High'), policy('Latest tag')],
      summary: summary({ Critical: 2, High: 1, Medium: 4, Low: 7 }),
    });
    const d2 = digestOf(2);
    addImage(db, { repository: 'team/worker', tag: '2', digest: d2, source: 'lab', seen: '2026-11-20T00:00:00Z', status: 'failed', error: 'boom' });
    verdict(db, d2, 'unknown', '2026-11-20T00:00:00Z', { summary: null, reason: 'boom' });

    const data = buildReportData(db, reportConfig(), '2026-11-23', NOW);
    const csv = reportCsv(data);
    expect(csv.endsWith('\r\n')).toBe(true);
    const rows = parseCsv(csv);
    expect(rows).toEqual([
      ['reference', 'digest', 'source', 'namespace', 'verdict', 'failed_policies', 'critical', 'high', 'medium', 'low'],
      ['127.0.0.1:5000/team/app:1.0', d1, 'lab', 'ns,1', 'non-compliant', 'Fixable "Critical", High; Latest tag', '2', '1', '4', '7'],
      ['127.0.0.1:5000/team/app:latest', d1, 'prod', 'team-a', 'non-compliant', 'Fixable "Critical", High; Latest tag', '2', '1', '4', '7'],
      ['127.0.0.1:5000/team/worker:2', d2, 'lab', '', 'unknown', '', '', '', '', ''],
    ]);
    expect(csv).toContain('"Fixable ""Critical"", High; Latest tag"');
  });

  test('the JSON export is the report data as one object', () => {
    const db = memoryStore();
    verdict(db, digestOf(1), 'compliant', '2026-11-20T00:00:00Z');
    const data = buildReportData(db, reportConfig(), '2026-11-23', NOW);
    const parsed = JSON.parse(reportJson(data)) as typeof data;
    expect(parsed.summary).toEqual({ images: 1, compliant: 1, nonCompliant: 0, unknown: 0 });
    expect(parsed.trend).toHaveLength(30);
    expect(parsed.day).toBe('2026-11-23');
  });
});
