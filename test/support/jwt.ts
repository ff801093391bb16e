import { createSign } from 'node:crypto';

function base64url(data: Buffer | string): string {
  return Buffer.from(data).toString('base64url');
}

/** A compact JWS signed RS256, as distribution's token authenticator expects. */
export function signJwtRs256(header: Record<string, unknown>, claims: Record<string, unknown>, keyPem: string): string {
  const signingInput = `${base64url(JSON.stringify({ ...header, alg: 'RS256' }))}.${base64url(JSON.stringify(claims))}`;
  const signature = createSign('RSA-SHA256').update(signingInput).sign(keyPem);
  return `${signingInput}.${base64url(signature)}`;
}

/** Reads the parts of a compact JWS without verifying it; tests use it to inspect issued tokens. */
export function decodeJwt(token: string): { header: Record<string, unknown>; claims: Record<string, unknown> } {
  const [header, claims] = token.split('.');
  if (header === undefined || claims === undefined) throw new Error(`not a compact JWS: ${token.slice(0, 20)}…`);
  return {
    header: JSON.parse(Buffer.from(header, 'base64url').toString('utf8')) as Record<string, unknown>,
    claims: JSON.parse(Buffer.from(claims, 'base64url').toString('utf8')) as Record<string, unknown>,
  };
}
