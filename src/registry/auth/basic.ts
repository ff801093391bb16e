import type { AuthStrategy, Credentials } from './strategy';

/** `Basic` challenge (htpasswd-protected registries): the same header for every request. */
export class BasicAuth implements AuthStrategy {
  readonly name = 'basic';
  private readonly header: string;

  constructor(credentials: Credentials) {
    this.header = basicHeader(credentials);
  }

  async authorization(): Promise<string> {
    return this.header;
  }

  invalidate(): void {
    // A fixed header: nothing to refresh.
  }
}

export function basicHeader(credentials: Credentials): string {
  return `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`, 'utf8').toString('base64')}`;
}
