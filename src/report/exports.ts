import type { ReportData } from './report-data';

const CSV_COLUMNS = ['reference', 'digest', 'source', 'namespace', 'verdict', 'failed_policies', 'critical', 'high', 'medium', 'low'];

/** The report data as one JSON object, for tools. */
export function reportJson(data: ReportData): string {
  return `${JSON.stringify(data, null, 2)}\n`;
}

/**
 * One row per image reference (a digest seen under several tags or namespaces gets a row for
 * each, with its own source and namespace; a digest never seen under a reference gets one with
 * an empty reference). Severity cells are empty when the counts are not known, never 0.
 */
export function reportCsv(data: ReportData): string {
  const lines = [CSV_COLUMNS.join(',')];
  for (const image of data.images) {
    for (const s of image.sightings.length ? image.sightings : [{ reference: '', source: null, namespace: null }]) {
      const c = image.counts;
      lines.push(
        [
          s.reference,
          image.digest,
          s.source ?? '',
          s.namespace ?? '',
          image.verdict,
          image.failedPolicies.join('; '),
          c ? String(c.critical) : '',
          c ? String(c.high) : '',
          c ? String(c.medium) : '',
          c ? String(c.low) : '',
        ]
          .map(csvField)
          .join(','),
      );
    }
  }
  return `${lines.join('\r\n')}\r\n`;
}

/** RFC 4180: a field with a comma, quote or line break is quoted, its quotes doubled. */
export function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}
