import { ConfigError, ReportError } from '../../errors';
import { writeFileAtomically } from '../../report/archive';
import { reportCsv, reportJson } from '../../report/exports';
import { deliverReport } from '../../report/mail-delivery';
import { produceReport, reportDataFor } from '../../report/produce-report';
import type { CommandContext } from '../context';

export interface ReportOptions {
  out?: string;
  email?: boolean;
  date?: string;
  format?: string;
}

const FORMATS = ['html', 'json', 'csv'] as const;
type Format = (typeof FORMATS)[number];

/**
 * `report [--out FILE] [--email] [--date D] [--format html|json|csv]`: renders the report of a
 * day (today by default), archives it under report.directory, copies it to FILE, and mails it.
 * JSON and CSV exports go to FILE or stdout and are neither archived nor mailed.
 */
export async function reportCommand(ctx: CommandContext, options: ReportOptions, out: NodeJS.WritableStream): Promise<number> {
  const format = (options.format ?? 'html') as Format;
  if (!FORMATS.includes(format)) throw new ConfigError(`unknown report format "${options.format}": expected html, json or csv`, { key: '--format' });
  const email = ctx.config.report.email;
  if (options.email && format !== 'html') throw new ConfigError('--email sends the HTML report: it cannot be combined with --format json or csv', { key: '--email' });
  if (options.email && !email) throw new ConfigError('--email needs report.email (smtp, from, to) in the config', { key: 'report.email' });
  const now = new Date();

  if (format !== 'html') {
    const data = reportDataFor(ctx.db, ctx.config, options.date, now);
    const content = format === 'json' ? reportJson(data) : reportCsv(data);
    if (options.out) {
      writeFileAtomically(options.out, content);
      out.write(`report ${data.day} (${format}) written to ${options.out}\n`);
    } else {
      out.write(content);
    }
    return 0;
  }

  const { report, archived } = produceReport(ctx.db, ctx.config, options.date, now);
  out.write(`${report.subject}\n${archived ? 'archived' : 'the archive of that day is kept as it was sent:'} ${report.path}\n`);
  if (options.out) {
    writeFileAtomically(options.out, report.html);
    out.write(`written to ${options.out}\n`);
  }
  if (options.email && email) {
    const result = await deliverReport(ctx.db, email, report, (line) => out.write(`${line}\n`));
    if (!result.sent) {
      throw new ReportError(`the report for ${report.day} was not mailed after ${result.attempts} attempt(s): ${result.error ?? 'no reason given'}; it stays pending for the next report job`, {
        file: report.path,
      });
    }
    if (!result.alreadySent) out.write(`mailed to ${[...email.to, ...email.cc].join(', ')}\n`);
  }
  return 0;
}
