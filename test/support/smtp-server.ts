import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';

/** An SMTP reply the server gives instead of accepting a MAIL FROM. */
export interface SmtpRefusal {
  code: number;
  message: string;
}

export interface SmtpServerOptions {
  /** Listen here; a free port is picked when left out. */
  port?: number;
  /** Asked at every MAIL FROM with its 1-based count; a refusal is answered instead of 250. */
  refuseMailFrom?: (count: number) => SmtpRefusal | undefined;
  /** Offer STARTTLS with this key and certificate, and refuse MAIL FROM on a plain session. */
  starttls?: { key: string; cert: string };
  /** Accept AUTH PLAIN/LOGIN with exactly these credentials (login stays optional). */
  credentials?: { user: string; password: string };
}

export interface ReceivedMail {
  envelope: { from: string; to: string[] };
  raw: Buffer;
}

export interface TestSmtpServer {
  host: string;
  port: number;
  /** Messages accepted so far, in order. */
  received: ReceivedMail[];
  /** MAIL FROM commands seen, accepted or refused. */
  mailFromCount(): number;
  /** TLS connections negotiated with STARTTLS. */
  secureSessions(): number;
  parsed(): Promise<ParsedMail[]>;
  stop(): Promise<void>;
}

/**
 * A real SMTP server (the smtp-server package) on 127.0.0.1 that keeps what it receives. Login is
 * optional (and checked when attempted); without `starttls` the STARTTLS command is disabled so the session stays plain.
 */
export async function startSmtpServer(options: SmtpServerOptions = {}): Promise<TestSmtpServer> {
  const received: ReceivedMail[] = [];
  let mailFroms = 0;
  let secured = 0;
  const tls = options.starttls;
  const serverOptions: SMTPServerOptions = {
    authOptional: true,
    disabledCommands: tls ? [] : ['STARTTLS'],
    // Lets the plain-session tests log in; the credentials stay on the loopback interface.
    allowInsecureAuth: true,
    authMethods: ['PLAIN', 'LOGIN'],
    logger: false,
    onAuth(auth, _session, callback) {
      const expected = options.credentials;
      if (expected && auth.username === expected.user && auth.password === expected.password) {
        callback(null, { user: auth.username });
        return;
      }
      callback(refusal({ code: 535, message: '5.7.8 Authentication credentials invalid' }));
    },
    ...(tls ? { key: tls.key, cert: tls.cert } : {}),
    onSecure(_socket, _session, callback) {
      secured++;
      callback();
    },
    onMailFrom(_address, session, callback) {
      mailFroms++;
      if (tls && !session.secure) {
        callback(refusal({ code: 530, message: 'Must issue a STARTTLS command first' }));
        return;
      }
      const refused = options.refuseMailFrom?.(mailFroms);
      callback(refused ? refusal(refused) : undefined);
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        const from = session.envelope.mailFrom ? session.envelope.mailFrom.address : '';
        received.push({ envelope: { from, to: session.envelope.rcptTo.map((r) => r.address) }, raw: Buffer.concat(chunks) });
        callback();
      });
    },
  };
  const server = new SMTPServer(serverOptions);
  const port = await new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      const address = server.server.address();
      if (address === null || typeof address === 'string') reject(new Error('the SMTP server has no TCP address'));
      else resolve(address.port);
    });
  });
  return {
    host: '127.0.0.1',
    port,
    received,
    mailFromCount: () => mailFroms,
    secureSessions: () => secured,
    parsed: () => Promise.all(received.map((m) => simpleParser(m.raw))),
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function refusal(reply: SmtpRefusal): Error {
  return Object.assign(new Error(reply.message), { responseCode: reply.code });
}

/**
 * A self-signed certificate for 127.0.0.1 (and localhost), made with `openssl req -x509` in `dir`.
 * A client verifies it only when told to trust `certPath` (NODE_EXTRA_CA_CERTS).
 */
export function makeServerCert(dir: string): { key: string; cert: string; certPath: string } {
  const keyPath = join(dir, 'smtp.key');
  const certPath = join(dir, 'smtp.crt');
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-sha256', '-days', '2', '-subj', '/CN=imagewarden test SMTP',
    '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost', '-keyout', keyPath, '-out', certPath,
  ], { stdio: 'pipe' });
  return { key: readFileSync(keyPath, 'utf8'), cert: readFileSync(certPath, 'utf8'), certPath };
}
