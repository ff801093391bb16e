import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../support/free-port';
import { cli } from '../support/run-imagewarden';
import { startSmtpServer, type TestSmtpServer } from '../support/smtp-server';

let dir: string;
let config: string;
let port: number;
let server: TestSmtpServer | undefined;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'imagewarden-mail-cli-'));
  port = await freePort();
  config = path.join(dir, 'config.yaml');
  fs.writeFileSync(
    config,
    [
      `database: ${path.join(dir, 'imagewarden.db')}`,
      'report:',
      `  directory: ${path.join(dir, 'reports')}`,
      '  title: mail-e2e',
      '  email:',
      `    smtp: { host: 127.0.0.1, port: ${port}, starttls: false }`,
      '    from: imagewarden@example.test',
      '    to: [platform@example.test]',
      '    cc: [audit@example.test]',
      '    attempts: 1',
      '',
    ].join('\n'),
  );
});

afterAll(async () => {
  await server?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('the compiled CLI mailing the report', () => {
  it('keeps the report through an SMTP outage, and the next report job mails it exactly once', async () => {
    const down = await cli(['report', '--email'], { config });
    expect(down.status).toBe(2);
    expect(down.stderr).toContain(`SMTP 127.0.0.1:${port}: connect failed`);
    expect(down.stderr).toContain('stays pending');
    const archived = /archived (\S+)/.exec(down.stdout)?.[1];
    expect(archived).toBeDefined();

    server = await startSmtpServer({ port });
    const next = await cli(['run-now', '--job', 'report'], { config });
    expect(next.stderr).toBe('');
    expect(next.status).toBe(0);
    expect(server.received).toHaveLength(1);
    expect(server.received[0]!.envelope.to.sort()).toEqual(['audit@example.test', 'platform@example.test']);
    const [mail] = await server.parsed();
    expect(mail!.subject).toMatch(/^\[imagewarden\] mail-e2e: /);
    expect(mail!.attachments).toHaveLength(1);
    expect(mail!.attachments[0]!.contentType).toBe('text/html');
    expect(mail!.attachments[0]!.content.toString('utf8')).toBe(fs.readFileSync(archived!, 'utf8'));

    const again = await cli(['report', '--email'], { config });
    expect(again.status).toBe(0);
    expect(again.stdout).toContain('already sent');
    expect(server.received).toHaveLength(1);
  });
});
