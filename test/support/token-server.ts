import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Credentials, parseBasicAuthorization } from './credentials';
import { signJwtRs256 } from './jwt';
import type { SigningCert } from './signing-cert';
import { grantScope, parseScopes, type ResourceScope } from './token-scope';

export interface TokenServerOptions {
  issuer: string;
  service: string;
  credentials: Credentials;
  signing: SigningCert;
  deniedRepositories?: readonly string[];
  lifetimeSeconds?: number;
}

export interface TokenServer {
  /** The realm the registry's Bearer challenge names. */
  realm: string;
  stop(): Promise<void>;
}

const TOKEN_PATH = '/token';

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const payload = Buffer.from(JSON.stringify(body));
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': payload.length, ...headers });
  res.end(payload);
}

/**
 * The bearer-token endpoint of the Docker token authentication spec: checks basic credentials
 * and issues a short-lived JWT whose `access` claim grants the requested scopes.
 */
export function startTokenServer(options: TokenServerOptions): Promise<TokenServer> {
  const denied = new Set(options.deniedRepositories ?? []);
  const lifetime = options.lifetimeSeconds ?? 300;
  const x5c = [options.signing.certDer.toString('base64')];

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (req.method !== 'GET' || url.pathname !== TOKEN_PATH) {
      sendJson(res, 404, { errors: [{ code: 'NOT_FOUND', message: `${req.method} ${url.pathname}` }] });
      return;
    }
    const given = parseBasicAuthorization(req.headers.authorization);
    if (given?.username !== options.credentials.username || given.password !== options.credentials.password) {
      sendJson(res, 401, { errors: [{ code: 'UNAUTHORIZED', message: 'valid basic credentials required' }] }, {
        'WWW-Authenticate': 'Basic realm="imagewarden-test-token"',
      });
      return;
    }
    const service = url.searchParams.get('service');
    if (service !== null && service !== options.service) {
      sendJson(res, 400, { errors: [{ code: 'INVALID_SERVICE', message: `unknown service ${service}` }] });
      return;
    }
    let access: ResourceScope[];
    try {
      access = parseScopes(url.searchParams.getAll('scope')).map((s) => grantScope(s, denied));
    } catch (e) {
      sendJson(res, 400, { errors: [{ code: 'INVALID_SCOPE', message: (e as Error).message }] });
      return;
    }
    const now = Math.floor(Date.now() / 1000);
    const token = signJwtRs256(
      { typ: 'JWT', x5c },
      {
        iss: options.issuer,
        sub: given.username,
        aud: options.service,
        exp: now + lifetime,
        // Backdated so a registry whose clock runs a little behind still accepts the token.
        nbf: now - 30,
        iat: now,
        jti: randomBytes(16).toString('hex'),
        access,
      },
      options.signing.keyPem,
    );
    sendJson(res, 200, { token, access_token: token, expires_in: lifetime, issued_at: new Date(now * 1000).toISOString() });
  };

  const server = createServer(handle);
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      resolve({
        realm: `http://127.0.0.1:${port}${TOKEN_PATH}`,
        stop: () =>
          new Promise<void>((done) => {
            server.closeAllConnections();
            server.close(() => done());
          }),
      });
    });
  });
}
