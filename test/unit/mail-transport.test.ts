import { MailError } from '../../src/errors';
import { backoffDelay } from '../../src/report/mail-delivery';
import { toMailError } from '../../src/report/mail-transport';

/** An error shaped as nodemailer shapes them (code, command, response, responseCode). */
function smtpFailure(message: string, fields: Record<string, unknown>): Error {
  return Object.assign(new Error(message), fields);
}

const SERVER = 'mail.example.test:587';

describe('toMailError', () => {
  it('treats a refused connection as transient, at the connect stage, keeping the system code', () => {
    const e = toMailError(smtpFailure('connect ECONNREFUSED 10.0.0.1:587', { code: 'ESOCKET', originalCode: 'ECONNREFUSED', command: 'CONN' }), SERVER);
    expect(e).toBeInstanceOf(MailError);
    expect(e.kind).toBe('mail');
    expect(e).toMatchObject({ server: SERVER, stage: 'connect', transient: true });
    expect(e.message).toBe('SMTP mail.example.test:587: connect failed: connect ECONNREFUSED 10.0.0.1:587');
  });

  it('treats a timeout as transient', () => {
    const e = toMailError(smtpFailure('Connection timeout', { code: 'ETIMEDOUT', command: 'CONN' }), SERVER);
    expect(e).toMatchObject({ stage: 'connect', transient: true });
  });

  it('treats a 4xx reply as transient and keeps the reply', () => {
    const e = toMailError(
      smtpFailure('Mail command failed: 451 4.3.0 Temporary local problem', { code: 'EENVELOPE', command: 'MAIL FROM', response: '451 4.3.0 Temporary local problem', responseCode: 451 }),
      SERVER,
    );
    expect(e).toMatchObject({ stage: 'send', transient: true, responseCode: 451, reply: '451 4.3.0 Temporary local problem' });
    expect(e.message).toBe('SMTP mail.example.test:587: send failed (MAIL FROM): 451 4.3.0 Temporary local problem');
  });

  it('treats a 5xx reply as permanent, even on a connection-level code', () => {
    const rcpt = toMailError(smtpFailure('Recipient command failed', { code: 'EENVELOPE', command: 'RCPT TO', response: '550 5.1.1 No such user', responseCode: 550 }), SERVER);
    expect(rcpt).toMatchObject({ stage: 'send', transient: false, responseCode: 550 });
    const greeting = toMailError(smtpFailure('Greeting never received', { code: 'ECONNECTION', command: 'CONN', response: '554 No SMTP service here', responseCode: 554 }), SERVER);
    expect(greeting).toMatchObject({ stage: 'connect', transient: false });
  });

  it('puts login failures at the auth stage, permanent', () => {
    const e = toMailError(smtpFailure('Invalid login', { code: 'EAUTH', command: 'AUTH PLAIN', response: '535 5.7.8 Bad credentials', responseCode: 535 }), SERVER);
    expect(e).toMatchObject({ stage: 'auth', transient: false });
    expect(e.describe()).toBe('SMTP mail.example.test:587: auth failed (AUTH PLAIN): 535 5.7.8 Bad credentials');
    const missing = toMailError(smtpFailure('Missing credentials for "PLAIN"', { code: 'EAUTH', command: 'API' }), SERVER);
    expect(missing).toMatchObject({ stage: 'auth', transient: false });
  });

  it('never retries a certificate that does not verify', () => {
    const e = toMailError(smtpFailure('certificate has expired', { code: 'ESOCKET', originalCode: 'CERT_HAS_EXPIRED', command: 'CONN' }), SERVER);
    expect(e).toMatchObject({ stage: 'connect', transient: false });
    expect(e.message).toContain("the server's TLS certificate does not verify: certificate has expired");
  });

  it('keeps the original error as the cause', () => {
    const original = smtpFailure('boom', { code: 'EPROTOCOL' });
    const e = toMailError(original, SERVER);
    expect(e.cause).toBe(original);
    expect(e).toMatchObject({ stage: 'send', transient: false });
  });
});

describe('backoffDelay', () => {
  it('doubles from one second and stops growing at a minute', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8].map(backoffDelay)).toEqual([1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000]);
  });
});
