import { createHash } from 'node:crypto';
import type { SendMailOptions } from 'nodemailer';
import type { Config } from '../config/schema';

export type EmailConfig = NonNullable<Config['report']['email']>;

/** What one delivery of a day's report carries, whether freshly rendered or read back from the archive. */
export interface ReportMail {
  day: string;
  subject: string;
  /** The body: the summary mail when freshly rendered, the archived report itself on a re-send. */
  html: string;
  text: string;
  /** The full self-contained report, sent as the attachment. */
  reportHtml: string;
}

/**
 * The recipients as one canonical string (sorted, trimmed, as JSON), so the same people in another
 * order are the same delivery, and a changed list is a different one.
 */
export function recipientsKey(email: Pick<EmailConfig, 'to' | 'cc'>): string {
  const canonical = (list: readonly string[]) => [...new Set(list.map((a) => a.trim()).filter(Boolean))].sort();
  return JSON.stringify({ to: canonical(email.to), cc: canonical(email.cc) });
}

/**
 * A Message-ID that depends only on the day, the recipients and the sender's domain: when a send
 * timed out after the server had in fact accepted it, the retry carries the same id and the
 * receiving side can drop the duplicate.
 */
export function reportMessageId(day: string, recipients: string, from: string): string {
  const digest = createHash('sha256').update(`${day}\n${recipients}`).digest('hex').slice(0, 24);
  return `<imagewarden-report-${day}-${digest}@${senderDomain(from)}>`;
}

/** The domain of the sender address (`Name <a@b.example>` or `a@b.example`); `.invalid` when it has none. */
function senderDomain(from: string): string {
  const match = /@([A-Za-z0-9.-]+)>?\s*$/.exec(from.trim());
  return match?.[1] ?? 'imagewarden.invalid';
}

export function attachmentName(day: string): string {
  return `imagewarden-${day}.html`;
}

/** The nodemailer message for one delivery: summary body, plain-text part, full report attached. */
export function buildReportMessage(email: EmailConfig, mail: ReportMail, messageId: string): SendMailOptions {
  return {
    from: email.from,
    to: email.to,
    cc: email.cc.length ? email.cc : undefined,
    subject: mail.subject,
    messageId,
    html: mail.html,
    text: mail.text,
    attachments: [{ filename: attachmentName(mail.day), content: mail.reportHtml, contentType: 'text/html; charset=utf-8' }],
  };
}

/** The plain-text part of a re-send from the archive, where only the full report survives. */
export function archivedReportText(day: string, subject: string): string {
  return `${subject}\n\nThe imagewarden compliance report for ${day} is attached as ${attachmentName(day)}.\n`;
}
