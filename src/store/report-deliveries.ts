import { StoreError } from '../errors';
import type { Db } from './database';

export type DeliveryStatus = 'pending' | 'sent';

export interface ReportDelivery {
  day: string;
  /** Canonical recipients (see recipientsKey). */
  recipients: string;
  status: DeliveryStatus;
  /** Every send attempt over all runs. */
  attempts: number;
  lastError: string | null;
  lastAttemptAt: string | null;
  sentAt: string | null;
  messageId: string | null;
}

/** A pending delivery with what the archive knows of its report. */
export interface PendingDelivery extends ReportDelivery {
  path: string;
  subject: string;
}

interface DeliveryRow {
  day: string;
  recipients: string;
  status: DeliveryStatus;
  attempts: number;
  last_error: string | null;
  last_attempt_at: string | null;
  sent_at: string | null;
  message_id: string | null;
}

/**
 * The `report_deliveries` table: one delivery per day, written as pending before anything is sent,
 * so a crash or an SMTP outage leaves a row the next run picks up.
 */
export class ReportDeliveryStore {
  constructor(private readonly db: Db) {}

  get(day: string): ReportDelivery | undefined {
    const row = this.db.prepare<[string], DeliveryRow>('SELECT * FROM report_deliveries WHERE day = ?').get(day);
    return row && fromRow(row);
  }

  /**
   * Makes sure the day has a pending delivery to these recipients and returns it. A delivery
   * already sent to the same recipients is returned as it is; one sent to other recipients (the
   * list changed) becomes a new pending delivery, since those people have not had the report.
   */
  ensurePending(day: string, recipients: string): ReportDelivery {
    return this.db.transaction(() => {
      const existing = this.get(day);
      if (existing && existing.recipients === recipients) return existing;
      if (existing && existing.status === 'pending') {
        this.db.prepare('UPDATE report_deliveries SET recipients = ? WHERE day = ?').run(recipients, day);
      } else if (existing) {
        this.db
          .prepare(
            `UPDATE report_deliveries SET recipients = ?, status = 'pending', attempts = 0, last_error = NULL,
               last_attempt_at = NULL, sent_at = NULL, message_id = NULL WHERE day = ?`,
          )
          .run(recipients, day);
      } else {
        this.insertPending(day, recipients);
      }
      return this.get(day) as ReportDelivery;
    })();
  }

  recordFailure(day: string, error: string, at: Date): void {
    this.db
      .prepare('UPDATE report_deliveries SET attempts = attempts + 1, last_error = ?, last_attempt_at = ? WHERE day = ?')
      .run(error, at.toISOString(), day);
  }

  /** A delivery that could not even be attempted (its archived report is missing): the error, no attempt counted. */
  recordBlocked(day: string, error: string): void {
    this.db.prepare('UPDATE report_deliveries SET last_error = ? WHERE day = ?').run(error, day);
  }

  markSent(day: string, messageId: string, at: Date): void {
    this.db
      .prepare(
        `UPDATE report_deliveries SET status = 'sent', attempts = attempts + 1, last_error = NULL,
           last_attempt_at = ?, sent_at = ?, message_id = ? WHERE day = ?`,
      )
      .run(at.toISOString(), at.toISOString(), messageId, day);
  }

  /** Pending deliveries, oldest day first, with their archived report's path and subject. */
  pending(): PendingDelivery[] {
    return this.db
      .prepare<[], DeliveryRow & { path: string; subject: string }>(
        `SELECT d.*, r.path, r.subject FROM report_deliveries d JOIN reports r ON r.day = d.day
          WHERE d.status = 'pending' ORDER BY d.day`,
      )
      .all()
      .map((row) => ({ ...fromRow(row), path: row.path, subject: row.subject }));
  }

  private insertPending(day: string, recipients: string): void {
    const report = this.db.prepare<[string], { day: string }>('SELECT day FROM reports WHERE day = ?').get(day);
    if (!report) {
      throw new StoreError(`no report is archived for ${day}: a delivery needs its row in the reports table`, { key: `reports.${day}` });
    }
    this.db.prepare(`INSERT INTO report_deliveries (day, recipients, status, attempts) VALUES (?, ?, 'pending', 0)`).run(day, recipients);
  }
}

function fromRow(row: DeliveryRow): ReportDelivery {
  return {
    day: row.day,
    recipients: row.recipients,
    status: row.status,
    attempts: row.attempts,
    lastError: row.last_error,
    lastAttemptAt: row.last_attempt_at,
    sentAt: row.sent_at,
    messageId: row.message_id,
  };
}
