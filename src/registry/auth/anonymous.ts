import type { AuthStrategy } from './strategy';

/** For registries whose /v2/ answered without a challenge. */
export class AnonymousAuth implements AuthStrategy {
  readonly name = 'anonymous';

  async authorization(): Promise<undefined> {
    return undefined;
  }

  invalidate(): void {
    // Nothing is cached without credentials.
  }
}
