import type { RequestTarget } from '../registry-errors';

/** One way of proving who we are to a registry; one implementation per file in this folder. */
export interface AuthStrategy {
  readonly name: 'anonymous' | 'basic' | 'bearer' | 'token';
  /**
   * The Authorization header for a request needing `scope` (e.g. `repository:team/app:pull`),
   * or undefined to send none. Rejects with RegistryError 'registry-auth' when refused.
   */
  authorization(scope: string | undefined, target: RequestTarget): Promise<string | undefined>;
  /** Forgets anything cached for `scope` after the registry refused it. */
  invalidate(scope: string | undefined): void;
}

export interface Credentials {
  username: string;
  password: string;
}
