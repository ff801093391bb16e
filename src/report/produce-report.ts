import fs from 'node:fs';
import type { Config } from '../config/schema';
import type { Db } from '../store/database';
import { recordComplianceSnapshot } from '../store/snapshots';
import { archiveReport } from './archive';
import { renderReport } from './render';
import type { RenderedReport } from './rendered-report';
import { buildReportData, type ReportData } from './report-data';
import { dayIn } from '../zoned-time';

/**
 * The data of `day` (default: today in config.timezone). Today's verdict counts are stored as
 * today's snapshot first, so the trend ends with the numbers the report shows.
 */
export function reportDataFor(db: Db, config: Config, day: string | undefined, now: Date): ReportData {
  const today = dayIn(config.timezone, now);
  if (day === undefined || day === today) recordComplianceSnapshot(db, now, config.timezone);
  return buildReportData(db, config, day ?? today, now);
}

/**
 * Renders the day's report and archives it (file and `reports` row). A past day that was
 * archived already keeps its archive: the report sent that day had the full detail, a replay
 * from the history has less, and a pending mail must send what the day saw.
 */
export function produceReport(
  db: Db,
  config: Config,
  day: string | undefined,
  now = new Date(),
): { data: ReportData; report: RenderedReport; archived: boolean } {
  const data = reportDataFor(db, config, day, now);
  const report = renderReport(data, config);
  const past = data.day !== dayIn(config.timezone, now);
  const kept = past && db.prepare('SELECT 1 FROM reports WHERE day = ?').get(data.day) !== undefined && fs.existsSync(report.path);
  if (!kept) archiveReport(db, report, data, now);
  return { data, report, archived: !kept };
}
