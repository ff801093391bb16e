/** The one account the htpasswd and token registries accept. */
export interface Credentials {
  username: string;
  password: string;
}

export const TEST_CREDENTIALS: Readonly<Credentials> = Object.freeze({
  username: 'imagewarden',
  password: 'warden-test-password',
});

export function basicAuthorization(credentials: Credentials): string {
  return `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`;
}

/** Decodes an `Authorization: Basic …` header; anything else yields undefined. */
export function parseBasicAuthorization(header: string | undefined): Credentials | undefined {
  const match = /^Basic\s+(\S+)$/i.exec(header ?? '');
  if (!match?.[1]) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}
