import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli } from './run-cli';

export interface SigningCert {
  keyPem: string;
  certPem: string;
  certPath: string;
  /** DER bytes of the certificate, as the JWT `x5c` header carries them. */
  certDer: Buffer;
}

/**
 * An RSA key and a self-signed certificate for it, made with `openssl req -x509`. The registry
 * trusts the certificate as its root bundle, so tokens that carry it in `x5c` verify.
 */
export function makeSigningCert(dir: string, commonName: string): SigningCert {
  const keyPath = join(dir, 'token-signing.key');
  const certPath = join(dir, 'token-signing.crt');
  runCli('openssl', [
    'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-sha256', '-days', '2',
    '-subj', `/CN=${commonName}`, '-keyout', keyPath, '-out', certPath,
  ]);
  const certPem = readFileSync(certPath, 'utf8');
  return { keyPem: readFileSync(keyPath, 'utf8'), certPem, certPath, certDer: new X509Certificate(certPem).raw };
}
