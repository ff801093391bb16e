import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { deliverReport } from '../../src/report/mail-delivery';
import type { EmailConfig } from '../../src/report/mail-message';
import type { RenderedReport } from '../../src/report/rendered-report';
import { openDatabase, type Db } from '../../src/store/database';
import { ReportDeliveryStore } from '../../src/store/report-deliveries';
import { makeServerCert, startSmtpServer, type TestSmtpServer } from '../support/smtp-server';

const DIST = path.join(__dirname, '../../dist/src');

let workDir: string;
let cert: ReturnType<typeof makeServerCert>;
let server: TestSmtpServer;
let db: Db;

beforeAll(async () => {
  workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'imagewarden-starttls-'));
  cert = makeServerCert(workDir);
  server = await startSmtpServer({ starttls: { key: cert.key, cert: cert.cert } });
  db = openDatabase(path.join(workDir, 'imagewarden.db'));
});

afterAll(async () => {
  db.close();
  await server.stop();
  fs.rmSync(workDir, { recursive: true, force: true });
});

function archivedReport(day: string): RenderedReport {
  const html = `<!doctype html><html><body><h1>Compliance ${day}</h1></body></html>\n`;
  const file = path.join(workDir, `imagewarden-${day}.html`);
  fs.writeFileSync(file, html);
  const subject = `[imagewarden] tls: 1/1 compliant (${day})`;
  db.prepare('INSERT INTO reports (day, rendered_at, path, subject, summary) VALUES (?, ?, ?, ?, ?)').run(day, new Date().toISOString(), file, subject, '{}');
  return { day, subject, html, emailHtml: `<p>${day}</p>`, text: day, path: file };
}

function email(): EmailConfig {
  return {
    smtp: { host: '127.0.0.1', port: server.port, secure: false, starttls: true },
    from: 'imagewarden@example.test',
    to: ['platform@example.test'],
    cc: [],
    attempts: 3,
  };
}

describe('STARTTLS with a self-signed certificate', () => {
  it('does not send to a server whose certificate does not verify, and does not retry', async () => {
    const report = archivedReport('2026-04-01');
    const delays: number[] = [];
    const result = await deliverReport(db, email(), report, () => undefined, {
      sleep: async (ms) => {
        delays.push(ms);
      },
    });
    expect(result.sent).toBe(false);
    expect(result.attempts).toBe(1);
    expect(delays).toEqual([]);
    expect(result.error).toContain(`SMTP 127.0.0.1:${server.port}: connect failed`);
    expect(result.error).toContain('TLS certificate does not verify');
    expect(result.error).toMatch(/self[- ]signed certificate/i);
    expect(server.mailFromCount()).toBe(0);
    expect(server.received).toHaveLength(0);
    expect(new ReportDeliveryStore(db).get(report.day)).toMatchObject({ status: 'pending', attempts: 1 });
  });

  it('sends over the upgraded connection when the certificate is trusted (compiled build, NODE_EXTRA_CA_CERTS)', async () => {
    const report = archivedReport('2026-04-02');
    // The process's trusted roots are fixed at start-up, so the trusting client is a child process.
    const script = `
      const { openDatabase } = require(${JSON.stringify(path.join(DIST, 'store/database.js'))});
      const { deliverReport } = require(${JSON.stringify(path.join(DIST, 'report/mail-delivery.js'))});
      const [dbFile, email, report] = process.argv.slice(1);
      const db = openDatabase(dbFile);
      deliverReport(db, JSON.parse(email), JSON.parse(report), (line) => process.stderr.write(line + '\\n'))
        .then((result) => { db.close(); process.stdout.write(JSON.stringify(result)); });
    `;
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['-e', script, path.join(workDir, 'imagewarden.db'), JSON.stringify(email()), JSON.stringify(report)],
      { env: { ...process.env, NODE_EXTRA_CA_CERTS: cert.certPath }, timeout: 60_000 },
    );
    expect(JSON.parse(stdout)).toEqual({ sent: true, attempts: 1 });
    expect(server.secureSessions()).toBeGreaterThanOrEqual(1);
    expect(server.received).toHaveLength(1);
    const [mail] = await server.parsed();
    expect(mail!.subject).toBe(report.subject);
    expect(mail!.attachments[0]!.content.toString('utf8')).toBe(report.html);
    expect(new ReportDeliveryStore(db).get(report.day)).toMatchObject({ status: 'sent', attempts: 1 });
  });
});
