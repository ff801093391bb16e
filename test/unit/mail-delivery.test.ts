import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { SendMailOptions } from 'nodemailer';
import { MailError, StoreError } from '../../src/errors';
import { deliverPending, deliverReport, type DeliveryOptions } from '../../src/report/mail-delivery';
import { recipientsKey, type EmailConfig } from '../../src/report/mail-message';
import type { MailSender } from '../../src/report/mail-transport';
import type { RenderedReport } from '../../src/report/rendered-report';
import { openDatabase, type Db } from '../../src/store/database';
import { ReportDeliveryStore } from '../../src/store/report-deliveries';

let dir: string;
let db: Db;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'imagewarden-mail-unit-'));
  db = openDatabase(':memory:');
});

afterEach(() => {
  db.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

function report(day: string): RenderedReport {
  const file = path.join(dir, `imagewarden-${day}.html`);
  const html = `<html><body>${day}</body></html>`;
  fs.writeFileSync(file, html);
  const subject = `[imagewarden] unit ${day}`;
  db.prepare('INSERT INTO reports (day, rendered_at, path, subject, summary) VALUES (?, ?, ?, ?, ?)').run(day, '2026-01-01T00:00:00Z', file, subject, '{}');
  return { day, subject, html, emailHtml: `<p>${day}</p>`, text: day, path: file };
}

const email = (extra: Partial<EmailConfig> = {}): EmailConfig => ({
  smtp: { host: 'mail.example.test', port: 2525, secure: false, starttls: false },
  from: 'imagewarden@example.test',
  to: ['team@example.test'],
  cc: [],
  attempts: 4,
  ...extra,
});

const transient = () =>
  new MailError('SMTP mail.example.test:2525: connect failed: ECONNREFUSED', { server: 'mail.example.test:2525', stage: 'connect', transient: true });
const permanent = () =>
  new MailError('SMTP mail.example.test:2525: send failed (RCPT TO): 550 no such user', {
    server: 'mail.example.test:2525',
    stage: 'send',
    transient: false,
    reply: '550 no such user',
    responseCode: 550,
  });

/** A sender that answers each send with the next outcome (an error to throw, or 'ok'). */
function scriptedSender(outcome: (message: SendMailOptions, call: number) => Error | 'ok') {
  const sent: SendMailOptions[] = [];
  let calls = 0;
  const options: DeliveryOptions = {
    createSender: (): MailSender => ({
      server: 'mail.example.test:2525',
      async send(message) {
        calls++;
        const result = outcome(message, calls);
        if (result !== 'ok') throw result;
        sent.push(message);
        return { messageId: String(message.messageId), response: '250 OK' };
      },
      close() {},
    }),
  };
  const delays: number[] = [];
  options.sleep = async (ms) => {
    delays.push(ms);
  };
  return { options, sent, delays, calls: () => calls };
}

const quiet = () => undefined;

describe('deliverReport', () => {
  it('gives up after the configured attempts of a transient failure, backing off between them', async () => {
    const s = scriptedSender(() => transient());
    const r = report('2026-02-01');
    const result = await deliverReport(db, email(), r, quiet, s.options);
    expect(result).toMatchObject({ sent: false, attempts: 4 });
    expect(result.error).toContain('ECONNREFUSED');
    expect(s.delays).toEqual([1000, 2000, 4000]);
    expect(new ReportDeliveryStore(db).get(r.day)).toMatchObject({ status: 'pending', attempts: 4 });
  });

  it('stops waiting when aborted during the backoff and leaves the delivery pending', async () => {
    const s = scriptedSender(() => transient());
    const controller = new AbortController();
    const r = report('2026-02-02');
    const log = (line: string) => {
      if (line.includes('retrying')) controller.abort();
    };
    // The built-in sleep: a 1 s wait that must end as soon as the signal aborts.
    const started = Date.now();
    await expect(deliverReport(db, email(), r, log, { createSender: s.options.createSender, signal: controller.signal })).rejects.toMatchObject({ name: 'AbortError' });
    expect(Date.now() - started).toBeLessThan(900);
    expect(s.calls()).toBe(1);
    expect(new ReportDeliveryStore(db).get(r.day)).toMatchObject({ status: 'pending', attempts: 1 });
  });

  it('sends again when the recipients changed after the report went out, to the new list only once', async () => {
    const s = scriptedSender(() => 'ok');
    const r = report('2026-02-03');
    expect(await deliverReport(db, email(), r, quiet, s.options)).toEqual({ sent: true, attempts: 1 });
    const wider = email({ to: ['team@example.test', 'security@example.test'] });
    expect(await deliverReport(db, wider, r, quiet, s.options)).toEqual({ sent: true, attempts: 1 });
    expect(await deliverReport(db, wider, r, quiet, s.options)).toMatchObject({ sent: true, attempts: 0, alreadySent: true });
    expect(s.sent.map((m) => m.to)).toEqual([['team@example.test'], ['team@example.test', 'security@example.test']]);
    expect(s.sent[0]!.messageId).not.toBe(s.sent[1]!.messageId);
  });

  it('refuses a day that has no archived report row, before sending anything', async () => {
    const s = scriptedSender(() => 'ok');
    const orphan: RenderedReport = { day: '2026-02-04', subject: 's', html: 'h', emailHtml: 'e', text: 't', path: '/nowhere' };
    const attempt = deliverReport(db, email(), orphan, quiet, s.options);
    await expect(attempt).rejects.toBeInstanceOf(StoreError);
    await expect(deliverReport(db, email(), orphan, quiet, s.options)).rejects.toThrow('no report is archived for 2026-02-04');
    expect(s.calls()).toBe(0);
  });
});

describe('deliverPending', () => {
  it('sends to the recipients configured now, not those of the failed run', async () => {
    const r = report('2026-02-05');
    const failing = scriptedSender(() => permanent());
    expect((await deliverReport(db, email({ to: ['typo@example.test'] }), r, quiet, failing.options)).sent).toBe(false);

    const s = scriptedSender(() => 'ok');
    const results = await deliverPending(db, email({ to: ['fixed@example.test'] }), quiet, s.options);
    expect(results).toEqual([{ day: r.day, sent: true, attempts: 1 }]);
    expect(s.sent.map((m) => m.to)).toEqual([['fixed@example.test']]);
    expect(new ReportDeliveryStore(db).get(r.day)).toMatchObject({ status: 'sent', attempts: 2 });
  });

  it('stops after a day the server stayed unreachable for, leaving the later days pending', async () => {
    const down = scriptedSender(() => transient());
    report('2026-02-06');
    report('2026-02-07');
    await deliverReport(db, email({ attempts: 1 }), report('2026-02-08'), quiet, down.options);
    for (const day of ['2026-02-06', '2026-02-07']) new ReportDeliveryStore(db).ensurePending(day, recipientsKey(email()));

    const still = scriptedSender(() => transient());
    const results = await deliverPending(db, email({ attempts: 2 }), quiet, still.options);
    expect(results.map((x) => [x.day, x.sent, x.attempts])).toEqual([['2026-02-06', false, 2]]);
    expect(still.calls()).toBe(2);
    expect(new ReportDeliveryStore(db).pending().map((p) => p.day)).toEqual(['2026-02-06', '2026-02-07', '2026-02-08']);
  });

  it('leaves the day named in `except` to the caller, who sends it freshly rendered', async () => {
    for (const day of ['2026-02-11', '2026-02-12']) {
      report(day);
      new ReportDeliveryStore(db).ensurePending(day, recipientsKey(email()));
    }
    const s = scriptedSender(() => 'ok');
    const results = await deliverPending(db, email(), quiet, { ...s.options, except: '2026-02-12' });
    expect(results.map((x) => x.day)).toEqual(['2026-02-11']);
    expect(new ReportDeliveryStore(db).pending().map((p) => p.day)).toEqual(['2026-02-12']);
  });

  it('goes on after a day that was rejected permanently', async () => {
    for (const day of ['2026-02-09', '2026-02-10']) {
      report(day);
      new ReportDeliveryStore(db).ensurePending(day, recipientsKey(email()));
    }
    const s = scriptedSender((message) => (String(message.subject).includes('2026-02-09') ? permanent() : 'ok'));
    const results = await deliverPending(db, email(), quiet, s.options);
    expect(results.map((x) => [x.day, x.sent, x.attempts])).toEqual([
      ['2026-02-09', false, 1],
      ['2026-02-10', true, 1],
    ]);
    expect(new ReportDeliveryStore(db).get('2026-02-09')!.lastError).toContain('550 no such user');
  });
});
