import { readFile } from 'node:fs/promises';
import { setTimeout as wait } from 'node:timers/promises';
import { MailError, messageOf } from '../errors';
import type { Db } from '../store/database';
import { ReportDeliveryStore } from '../store/report-deliveries';
import { archivedReportText, buildReportMessage, recipientsKey, reportMessageId, type EmailConfig, type ReportMail } from './mail-message';
import { createSmtpSender, toMailError, type MailSenderFactory } from './mail-transport';
import type { RenderedReport } from './rendered-report';

export interface DeliveryResult {
  sent: boolean;
  /** Send attempts made by this call (0 when nothing was sent). */
  attempts: number;
  error?: string;
  /** The report had already been sent to these recipients by an earlier run. */
  alreadySent?: boolean;
}

export interface PendingDeliveryResult extends DeliveryResult {
  day: string;
}

export interface DeliveryOptions {
  /** Waits between attempts; rejects when the signal aborts. Tests pass a fast one. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Stops the backoff and an SMTP exchange in flight (daemon shutdown). */
  signal?: AbortSignal;
  createSender?: MailSenderFactory;
  now?: () => Date;
  /** For deliverPending: a day left to the caller, who is about to send it freshly rendered. */
  except?: string;
}

const FIRST_RETRY_MS = 1_000;
const LONGEST_RETRY_MS = 60_000;

/** Wait before retry number `failedAttempts`: 1 s, 2 s, 4 s… up to a minute. */
export function backoffDelay(failedAttempts: number): number {
  return Math.min(FIRST_RETRY_MS * 2 ** (failedAttempts - 1), LONGEST_RETRY_MS);
}

const defaultSleep = (ms: number, signal?: AbortSignal) => wait(ms, undefined, { signal });

/**
 * Mails a freshly rendered report. The delivery is recorded as pending before the first attempt,
 * so an outage or a crash leaves it for `deliverPending`; a report already sent to the same
 * recipients is not sent again.
 */
export async function deliverReport(
  db: Db,
  email: EmailConfig,
  report: RenderedReport,
  log: (line: string) => void,
  options: DeliveryOptions = {},
): Promise<DeliveryResult> {
  const store = new ReportDeliveryStore(db);
  const delivery = store.ensurePending(report.day, recipientsKey(email));
  if (delivery.status === 'sent') {
    log(`report ${report.day} was already sent at ${delivery.sentAt} (${delivery.messageId}); not sending it again`);
    return { sent: true, attempts: 0, alreadySent: true };
  }
  const mail: ReportMail = { day: report.day, subject: report.subject, html: report.emailHtml, text: report.text, reportHtml: report.html };
  return (await attemptDelivery(store, email, mail, delivery.recipients, log, options)).result;
}

/**
 * Re-sends every pending delivery, oldest day first, from the archived report file. Stops early
 * when the server stays unreachable through all attempts: the rest would only wait out the same
 * outage, and stay pending for the next run.
 */
export async function deliverPending(
  db: Db,
  email: EmailConfig,
  log: (line: string) => void,
  options: DeliveryOptions = {},
): Promise<PendingDeliveryResult[]> {
  const store = new ReportDeliveryStore(db);
  const results: PendingDeliveryResult[] = [];
  for (const pending of store.pending()) {
    if (pending.day === options.except) continue;
    // The configured recipients win over the recorded ones: fixing a rejected address must reach the next run.
    const delivery = store.ensurePending(pending.day, recipientsKey(email));
    let reportHtml: string;
    try {
      reportHtml = await readFile(pending.path, 'utf8');
    } catch (e) {
      const error = `archived report ${pending.path} for ${pending.day} cannot be read (${messageOf(e)}); it cannot be re-sent until the report for ${pending.day} is rendered again`;
      store.recordBlocked(pending.day, error);
      log(error);
      results.push({ day: pending.day, sent: false, attempts: 0, error });
      continue;
    }
    const mail: ReportMail = {
      day: pending.day,
      subject: pending.subject,
      html: reportHtml,
      text: archivedReportText(pending.day, pending.subject),
      reportHtml,
    };
    log(`re-sending the pending report for ${pending.day} (${pending.attempts} earlier attempt(s); last error: ${pending.lastError ?? 'none'})`);
    const { result, transientFailure } = await attemptDelivery(store, email, mail, delivery.recipients, log, options);
    results.push({ day: pending.day, ...result });
    if (transientFailure) {
      log(`the mail server is still failing; the remaining pending reports stay pending for the next run`);
      break;
    }
  }
  return results;
}

async function attemptDelivery(
  store: ReportDeliveryStore,
  email: EmailConfig,
  mail: ReportMail,
  recipients: string,
  log: (line: string) => void,
  options: DeliveryOptions,
): Promise<{ result: DeliveryResult; transientFailure: boolean }> {
  const sleep = options.sleep ?? defaultSleep;
  const now = options.now ?? (() => new Date());
  const sender = (options.createSender ?? createSmtpSender)(email.smtp);
  const messageId = reportMessageId(mail.day, recipients, email.from);
  const message = buildReportMessage(email, mail, messageId);
  try {
    for (let attempt = 1; ; attempt++) {
      options.signal?.throwIfAborted();
      try {
        await sender.send(message, options.signal);
      } catch (e) {
        if (options.signal?.aborted) throw e;
        const failure = e instanceof MailError ? e : toMailError(e, sender.server);
        const error = failure.describe();
        store.recordFailure(mail.day, error, now());
        if (!failure.transient || attempt >= email.attempts) {
          const why = failure.transient ? `after ${attempt} attempt(s)` : 'permanent failure, not retried';
          log(`report ${mail.day} not sent (${why}); it stays pending: ${error}`);
          return { result: { sent: false, attempts: attempt, error }, transientFailure: failure.transient };
        }
        const delay = backoffDelay(attempt);
        log(`report ${mail.day}: attempt ${attempt}/${email.attempts} failed, retrying in ${delay / 1000} s: ${error}`);
        await sleep(delay, options.signal);
        continue;
      }
      // Outside the send's try: a store failure here must surface as itself, not as a mail error to retry.
      store.markSent(mail.day, messageId, now());
      log(`report ${mail.day} sent via ${sender.server} to ${[...email.to, ...email.cc].join(', ')} (attempt ${attempt}, ${messageId})`);
      return { result: { sent: true, attempts: attempt }, transientFailure: false };
    }
  } finally {
    sender.close();
  }
}
