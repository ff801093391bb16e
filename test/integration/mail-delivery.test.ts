import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { deliverPending, deliverReport } from '../../src/report/mail-delivery';
import { recipientsKey, reportMessageId, type EmailConfig } from '../../src/report/mail-message';
import type { RenderedReport } from '../../src/report/rendered-report';
import { openDatabase, type Db } from '../../src/store/database';
import { ReportDeliveryStore } from '../../src/store/report-deliveries';
import { freePort } from '../support/free-port';
import { startSmtpServer, type TestSmtpServer } from '../support/smtp-server';

const servers: TestSmtpServer[] = [];
const dbs: Db[] = [];
let workDir: string;

beforeAll(() => {
  workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'imagewarden-mail-'));
});

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.stop()));
  for (const db of dbs.splice(0)) db.close();
});

afterAll(() => {
  fs.rmSync(workDir, { recursive: true, force: true });
});

async function smtp(options: Parameters<typeof startSmtpServer>[0] = {}): Promise<TestSmtpServer> {
  const server = await startSmtpServer(options);
  servers.push(server);
  return server;
}

function freshDb(): Db {
  const db = openDatabase(path.join(fs.mkdtempSync(path.join(workDir, 'db-')), 'imagewarden.db'));
  dbs.push(db);
  return db;
}

/** Archives a small report the way the renderer does: the HTML file plus its `reports` row. */
function archivedReport(db: Db, day: string): RenderedReport {
  const html = `<!doctype html><html><head><meta charset="utf-8"><title>Compliance ${day}</title></head><body><h1>Compliance — ${day}</h1><table><tr><td data-compliant>41</td><td data-non-compliant>3</td></tr></table><p>café &amp; crème</p></body></html>\n`;
  const file = path.join(fs.mkdtempSync(path.join(workDir, 'reports-')), `imagewarden-${day}.html`);
  fs.writeFileSync(file, html);
  const subject = `[imagewarden] lab: 41/44 compliant, 3 new non-compliant (${day})`;
  db.prepare('INSERT INTO reports (day, rendered_at, path, subject, summary) VALUES (?, ?, ?, ?, ?)').run(
    day,
    new Date().toISOString(),
    file,
    subject,
    JSON.stringify({ images: 44, compliant: 41 }),
  );
  return {
    day,
    subject,
    html,
    emailHtml: `<p>41 of 44 images compliant on <b>${day}</b>.</p>`,
    text: `41 of 44 images compliant on ${day}.`,
    path: file,
  };
}

function emailTo(port: number, extra: Partial<EmailConfig> = {}, smtpExtra: Partial<EmailConfig['smtp']> = {}): EmailConfig {
  return {
    smtp: { host: '127.0.0.1', port, secure: false, starttls: false, ...smtpExtra },
    from: 'imagewarden <imagewarden@example.test>',
    to: ['platform@example.test', 'security@example.test'],
    cc: ['audit@example.test'],
    attempts: 3,
    ...extra,
  };
}

function recorder() {
  const lines: string[] = [];
  const delays: number[] = [];
  return {
    lines,
    delays,
    log: (line: string) => lines.push(line),
    sleep: async (ms: number) => {
      delays.push(ms);
    },
  };
}

describe('deliverReport over real SMTP', () => {
  it('sends the summary as HTML and text with the full report attached, once', async () => {
    const server = await smtp();
    const db = freshDb();
    const report = archivedReport(db, '2026-03-14');
    const email = emailTo(server.port);
    const r = recorder();

    const result = await deliverReport(db, email, report, r.log, { sleep: r.sleep });
    expect(result).toEqual({ sent: true, attempts: 1 });

    expect(server.received).toHaveLength(1);
    expect(server.received[0]!.envelope.from).toBe('imagewarden@example.test');
    expect(server.received[0]!.envelope.to.sort()).toEqual(['audit@example.test', 'platform@example.test', 'security@example.test']);
    const [mail] = await server.parsed();
    expect(mail!.subject).toBe(report.subject);
    expect(mail!.from?.value).toEqual([{ address: 'imagewarden@example.test', name: 'imagewarden' }]);
    const addresses = (field: typeof mail.to) => (Array.isArray(field) ? field : field ? [field] : []).flatMap((a) => a.value.map((v) => v.address));
    expect(addresses(mail!.to)).toEqual(['platform@example.test', 'security@example.test']);
    expect(addresses(mail!.cc)).toEqual(['audit@example.test']);
    expect(mail!.html).toBe(report.emailHtml);
    expect(mail!.text?.trim()).toBe(report.text);
    expect(mail!.attachments).toHaveLength(1);
    const attachment = mail!.attachments[0]!;
    expect(attachment.filename).toBe('imagewarden-2026-03-14.html');
    expect(attachment.contentType).toBe('text/html');
    expect(attachment.content.toString('utf8')).toBe(report.html);

    const expectedId = reportMessageId(report.day, recipientsKey(email), email.from);
    expect(mail!.messageId).toBe(expectedId);
    const row = new ReportDeliveryStore(db).get(report.day)!;
    expect(row).toMatchObject({ status: 'sent', attempts: 1, lastError: null, messageId: expectedId });
    expect(row.sentAt).not.toBeNull();

    // The next run, or a second `report --email`, must not mail the same people again.
    const again = await deliverReport(db, email, report, r.log, { sleep: r.sleep });
    expect(again).toEqual({ sent: true, attempts: 0, alreadySent: true });
    expect(await deliverPending(db, email, r.log, { sleep: r.sleep })).toEqual([]);
    expect(server.received).toHaveLength(1);
    expect(server.mailFromCount()).toBe(1);
  });

  it('keeps the report pending through an outage and delivers it exactly once when the server is back', async () => {
    const port = await freePort();
    const db = freshDb();
    const report = archivedReport(db, '2026-03-15');
    const email = emailTo(port);
    const r = recorder();

    const down = await deliverReport(db, email, report, r.log, { sleep: r.sleep });
    expect(down.sent).toBe(false);
    expect(down.attempts).toBe(3);
    expect(down.error).toContain(`SMTP 127.0.0.1:${port}: connect failed`);
    expect(down.error).toContain('ECONNREFUSED');
    expect(r.delays).toEqual([1000, 2000]);
    const pending = new ReportDeliveryStore(db).get(report.day)!;
    expect(pending).toMatchObject({ status: 'pending', attempts: 3, sentAt: null, messageId: null });
    expect(pending.lastError).toContain(`127.0.0.1:${port}`);

    const server = await smtp({ port });
    const next = await deliverPending(db, email, r.log, { sleep: r.sleep });
    expect(next).toEqual([{ day: report.day, sent: true, attempts: 1 }]);
    expect(server.received).toHaveLength(1);
    const [mail] = await server.parsed();
    expect(mail!.subject).toBe(report.subject);
    // Re-sent from the archive: the full report, byte for byte, and the same Message-ID as the first try would have had.
    expect(mail!.attachments[0]!.content.toString('utf8')).toBe(report.html);
    expect(mail!.html).toBe(report.html);
    expect(mail!.messageId).toBe(reportMessageId(report.day, recipientsKey(email), email.from));
    expect(new ReportDeliveryStore(db).get(report.day)).toMatchObject({ status: 'sent', attempts: 4, lastError: null });

    expect(await deliverPending(db, email, r.log, { sleep: r.sleep })).toEqual([]);
    expect(await deliverReport(db, email, report, r.log, { sleep: r.sleep })).toMatchObject({ sent: true, alreadySent: true });
    expect(server.received).toHaveLength(1);
  });

  it('re-sends pending days oldest first', async () => {
    const port = await freePort();
    const db = freshDb();
    const email = emailTo(port, { attempts: 1 });
    const r = recorder();
    const later = archivedReport(db, '2026-03-17');
    const earlier = archivedReport(db, '2026-03-16');
    expect((await deliverReport(db, email, later, r.log, { sleep: r.sleep })).sent).toBe(false);
    expect((await deliverReport(db, email, earlier, r.log, { sleep: r.sleep })).sent).toBe(false);

    const server = await smtp({ port });
    const results = await deliverPending(db, email, r.log, { sleep: r.sleep });
    expect(results.map((x) => [x.day, x.sent])).toEqual([
      ['2026-03-16', true],
      ['2026-03-17', true],
    ]);
    expect((await server.parsed()).map((m) => m.subject)).toEqual([earlier.subject, later.subject]);
  });

  it('stops at once on a 5xx rejection and keeps the reply', async () => {
    const server = await smtp({ refuseMailFrom: () => ({ code: 550, message: '5.7.1 Relaying denied for imagewarden' }) });
    const db = freshDb();
    const report = archivedReport(db, '2026-03-18');
    const r = recorder();

    const result = await deliverReport(db, emailTo(server.port, { attempts: 5 }), report, r.log, { sleep: r.sleep });
    expect(result.sent).toBe(false);
    expect(result.attempts).toBe(1);
    expect(result.error).toContain(`SMTP 127.0.0.1:${server.port}: send failed (MAIL FROM): 550 5.7.1 Relaying denied for imagewarden`);
    expect(r.delays).toEqual([]);
    expect(server.mailFromCount()).toBe(1);
    expect(server.received).toHaveLength(0);
    const row = new ReportDeliveryStore(db).get(report.day)!;
    expect(row).toMatchObject({ status: 'pending', attempts: 1 });
    expect(row.lastError).toContain('550 5.7.1 Relaying denied for imagewarden');
    expect(r.lines.join('\n')).toContain('permanent failure, not retried');
  });

  it('retries 4xx replies with backoff and sends once the server accepts', async () => {
    const server = await smtp({
      refuseMailFrom: (n) => (n <= 2 ? { code: 421, message: '4.7.0 Try again later, closing connection' } : undefined),
    });
    const db = freshDb();
    const report = archivedReport(db, '2026-03-19');
    const r = recorder();

    const result = await deliverReport(db, emailTo(server.port, { attempts: 5 }), report, r.log, { sleep: r.sleep });
    expect(result).toEqual({ sent: true, attempts: 3 });
    expect(r.delays).toEqual([1000, 2000]);
    expect(server.mailFromCount()).toBe(3);
    expect(server.received).toHaveLength(1);
    expect(new ReportDeliveryStore(db).get(report.day)).toMatchObject({ status: 'sent', attempts: 3, lastError: null });
  });

  it('names the auth stage when the login is refused, and logs in when the password is right', async () => {
    const server = await smtp({ credentials: { user: 'reporter', password: 's3cret' } });
    const db = freshDb();
    const report = archivedReport(db, '2026-03-20');
    const r = recorder();

    const refused = await deliverReport(db, emailTo(server.port, {}, { user: 'reporter', password: 'wrong' }), report, r.log, { sleep: r.sleep });
    expect(refused.sent).toBe(false);
    expect(refused.attempts).toBe(1);
    expect(refused.error).toMatch(new RegExp(`SMTP 127\\.0\\.0\\.1:${server.port}: auth failed \\(AUTH PLAIN\\): 535`));
    expect(server.received).toHaveLength(0);

    const accepted = await deliverReport(db, emailTo(server.port, {}, { user: 'reporter', password: 's3cret' }), report, r.log, { sleep: r.sleep });
    expect(accepted).toEqual({ sent: true, attempts: 1 });
    expect(server.received).toHaveLength(1);
  });

  it('refuses to send in clear text when STARTTLS is required but not offered', async () => {
    const server = await smtp();
    const db = freshDb();
    const report = archivedReport(db, '2026-03-21');
    const r = recorder();

    const result = await deliverReport(db, emailTo(server.port, {}, { starttls: true }), report, r.log, { sleep: r.sleep });
    expect(result.sent).toBe(false);
    expect(result.attempts).toBe(1);
    expect(result.error).toContain(`SMTP 127.0.0.1:${server.port}: connect failed`);
    expect(result.error).toMatch(/STARTTLS/);
    expect(server.mailFromCount()).toBe(0);
    expect(server.received).toHaveLength(0);
  });

  it('leaves a pending delivery whose archived file is gone pending, with an error naming the path', async () => {
    const port = await freePort();
    const db = freshDb();
    const report = archivedReport(db, '2026-03-22');
    const email = emailTo(port, { attempts: 1 });
    const r = recorder();
    expect((await deliverReport(db, email, report, r.log, { sleep: r.sleep })).sent).toBe(false);
    fs.rmSync(report.path);

    const server = await smtp({ port });
    const [result] = await deliverPending(db, email, r.log, { sleep: r.sleep });
    expect(result).toMatchObject({ day: report.day, sent: false, attempts: 0 });
    expect(result!.error).toContain(`archived report ${report.path} for ${report.day} cannot be read`);
    expect(server.received).toHaveLength(0);
    const row = new ReportDeliveryStore(db).get(report.day)!;
    expect(row.status).toBe('pending');
    expect(row.lastError).toContain(report.path);
  });
});
