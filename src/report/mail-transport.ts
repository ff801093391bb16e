import nodemailer, { type SendMailOptions } from 'nodemailer';
import { MailError, type MailStage } from '../errors';
import type { EmailConfig } from './mail-message';

/** Sends one message; throws a MailError. The delivery logic only sees this. */
export interface MailSender {
  /** `host:port`, for messages. */
  readonly server: string;
  send(message: SendMailOptions, signal?: AbortSignal): Promise<{ messageId: string; response: string }>;
  close(): void;
}

export type MailSenderFactory = (smtp: EmailConfig['smtp']) => MailSender;

/**
 * An SMTP sender: implicit TLS when `secure`, STARTTLS required when `starttls` (so a server that
 * stops offering it cannot downgrade us to plain text), login only when a user is configured.
 * Certificates are always verified.
 */
export function createSmtpSender(smtp: EmailConfig['smtp']): MailSender {
  const server = `${smtp.host}:${smtp.port}`;
  const transport = nodemailer.createTransport({
    host: smtp.host,
    port: smtp.port,
    secure: smtp.secure,
    requireTLS: !smtp.secure && smtp.starttls,
    auth: smtp.user !== undefined ? { user: smtp.user, pass: smtp.password ?? '' } : undefined,
    // A daily report can wait; a hung server must not hold the job for nodemailer's minutes-long defaults.
    connectionTimeout: 30_000,
    greetingTimeout: 30_000,
    socketTimeout: 60_000,
  });
  return {
    server,
    async send(message, signal) {
      try {
        const info = await transport.sendMail({ ...message, signal });
        return { messageId: info.messageId, response: info.response };
      } catch (e) {
        if (signal?.aborted) throw e;
        throw toMailError(e, server);
      }
    },
    close() {
      transport.close();
    },
  };
}

/** The fields nodemailer sets on its errors. */
interface SmtpFailure {
  message?: string;
  code?: string;
  originalCode?: string;
  command?: string;
  response?: string;
  responseCode?: number;
}

const CONNECTION_CODES = new Set(['ECONNECTION', 'ETIMEDOUT', 'ESOCKET', 'EDNS']);

/** Wraps a nodemailer failure: which stage, what the server said, and whether a retry can help. */
export function toMailError(e: unknown, server: string): MailError {
  const failure: SmtpFailure = typeof e === 'object' && e !== null ? (e as SmtpFailure) : { message: String(e) };
  const stage = stageOf(failure);
  const responseCode = typeof failure.responseCode === 'number' ? failure.responseCode : undefined;
  const untrusted = isCertificateFailure(failure);
  const transient = responseCode !== undefined ? responseCode >= 400 && responseCode < 500 : !untrusted && CONNECTION_CODES.has(failure.code ?? '');
  const reply = failure.response?.trim() || undefined;
  const text = `${untrusted ? "the server's TLS certificate does not verify: " : ''}${firstLine(failure.message ?? 'unknown error')}`;
  // Keep the system error code (ECONNREFUSED…) visible when nodemailer replaced it with its own.
  const detail = reply ?? (failure.originalCode && !text.includes(failure.originalCode) ? `${failure.originalCode}: ${text}` : text);
  const command = failure.command && failure.command !== 'CONN' && failure.command !== 'API' ? ` (${failure.command})` : '';
  return new MailError(`SMTP ${server}: ${stage} failed${command}: ${detail}`, { server, stage, transient, reply, responseCode }, { cause: e });
}

/**
 * Node's certificate verification codes (DEPTH_ZERO_SELF_SIGNED_CERT, CERT_HAS_EXPIRED,
 * ERR_TLS_CERT_ALTNAME_INVALID…), which nodemailer reports as a socket error: retrying cannot fix them.
 */
function isCertificateFailure(failure: SmtpFailure): boolean {
  const code = failure.originalCode ?? failure.code ?? '';
  return failure.code === 'ETLS' || /CERT|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)|^ERR_TLS|^ERR_SSL/.test(code);
}

function stageOf(failure: SmtpFailure): MailStage {
  const command = failure.command ?? '';
  if (failure.code === 'EAUTH' || failure.code === 'ENOAUTH' || command.startsWith('AUTH')) return 'auth';
  if (command === 'CONN' || command === 'EHLO' || command === 'HELO' || command === 'STARTTLS' || command === 'GREETING') return 'connect';
  if (isCertificateFailure(failure) || (!command && CONNECTION_CODES.has(failure.code ?? ''))) return 'connect';
  return 'send';
}

function firstLine(text: string): string {
  return text.split('\n', 1)[0] ?? text;
}
