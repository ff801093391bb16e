import type { AuthStrategy } from './strategy';

/** A ready bearer token (e.g. an OpenShift service-account token), sent as is. */
export class StaticTokenAuth implements AuthStrategy {
  readonly name = 'token';
  private readonly header: string;

  constructor(token: string) {
    this.header = `Bearer ${token}`;
  }

  async authorization(): Promise<string> {
    return this.header;
  }

  invalidate(): void {
    // The token is given by configuration: there is no fresher one to fetch.
  }
}
