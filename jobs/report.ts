import { deliverPending, deliverReport } from '../src/report/mail-delivery';
import { produceReport } from '../src/report/produce-report';
import type { Job } from './job';

export interface ReportSummary {
  images: number;
  compliant: number;
  nonCompliant: number;
  unknown: number;
  newlyNonCompliant: number;
  /** Reports mailed by this run: earlier pending days and today's. */
  mailed: number;
  /** Deliveries tried by this run that failed: they stay pending. */
  failed: number;
}

/**
 * The daily report: today's snapshot, the rendered and archived report, then the mail. Reports
 * of earlier days whose mail failed go first, from their archive, so the team reads them in order.
 */
export const reportJob: Job<ReportSummary> = {
  name: 'report',
  async run(ctx) {
    const { data, report } = produceReport(ctx.db, ctx.config, undefined);
    ctx.log(`report: ${report.subject}; archived ${report.path}`);
    const summary: ReportSummary = {
      images: data.summary.images,
      compliant: data.summary.compliant,
      nonCompliant: data.summary.nonCompliant,
      unknown: data.summary.unknown,
      newlyNonCompliant: data.changes.newlyNonCompliant.length,
      mailed: 0,
      failed: 0,
    };
    const email = ctx.config.report.email;
    if (!email) return summary;
    const options = { signal: ctx.signal };
    // Today's report goes out with its own summary body below, not from the archive.
    for (const r of await deliverPending(ctx.db, email, ctx.log, { ...options, except: report.day })) {
      if (r.sent && !r.alreadySent) summary.mailed++;
      else if (!r.sent) summary.failed++;
    }
    const today = await deliverReport(ctx.db, email, report, ctx.log, options);
    if (today.sent && !today.alreadySent) summary.mailed++;
    else if (!today.sent) {
      summary.failed++;
      ctx.log(`report: the mail for ${report.day} failed (${today.error ?? 'no reason given'}); it stays pending for the next run`);
    }
    return summary;
  },
};
