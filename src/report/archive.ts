import fs from 'node:fs';
import path from 'node:path';
import { messageOf, ReportError } from '../errors';
import type { Db } from '../store/database';
import type { RenderedReport } from './rendered-report';
import type { ReportData } from './report-data';

/** `DIRECTORY/YYYY/MM/imagewarden-YYYY-MM-DD.html`, absolute so a later run from elsewhere finds it. */
export function archivePath(directory: string, day: string): string {
  return path.resolve(directory, day.slice(0, 4), day.slice(5, 7), `imagewarden-${day}.html`);
}

/** What the `reports` row keeps of a day's numbers, for listings without opening the file. */
export function reportSummary(data: ReportData): Record<string, number> {
  return {
    images: data.summary.images,
    compliant: data.summary.compliant,
    nonCompliant: data.summary.nonCompliant,
    unknown: data.summary.unknown,
    newlyNonCompliant: data.changes.newlyNonCompliant.length,
    fixed: data.changes.fixed.length,
    newImages: data.changes.newImages.length,
    staleFeeds: data.staleFeeds,
  };
}

/**
 * Writes the report to its archive path and records it in `reports`. The file is written under
 * a temporary name and renamed, so a reader (or the mail of a pending delivery) never sees half
 * a report; the row is written after the file exists.
 */
export function archiveReport(db: Db, report: RenderedReport, data: ReportData, now = new Date()): void {
  writeFileAtomically(report.path, report.html);
  db.prepare(
    `INSERT INTO reports (day, rendered_at, path, subject, summary) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT (day) DO UPDATE SET rendered_at = excluded.rendered_at, path = excluded.path, subject = excluded.subject, summary = excluded.summary`,
  ).run(report.day, now.toISOString(), report.path, report.subject, JSON.stringify(reportSummary(data)));
}

/** Writes `content` to `file` through a temporary sibling and a rename. */
export function writeFileAtomically(file: string, content: string): void {
  const temp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(temp, content);
    fs.renameSync(temp, file);
  } catch (e) {
    fs.rmSync(temp, { force: true });
    throw new ReportError(`cannot write ${file}: ${messageOf(e)}`, { file }, { cause: e });
  }
}
