import type { HttpClient } from '../../http/http-client';
import type { AuthChallenge } from '../../http/www-authenticate';
import { authFailure, type RequestTarget } from '../registry-errors';
import { BasicAuth } from './basic';
import { BearerTokenAuth } from './bearer';
import type { AuthStrategy, Credentials } from './strategy';

/**
 * Picks the strategy a 401's challenges ask for. Bearer is preferred when a registry offers
 * both, as docker does; Basic without credentials is an error rather than a silent anonymous run.
 */
export function strategyForChallenges(
  challenges: readonly AuthChallenge[],
  credentials: Credentials | undefined,
  http: HttpClient,
  target: RequestTarget,
): AuthStrategy {
  const bearer = challenges.find((c) => c.scheme === 'bearer' && c.params.realm);
  if (bearer) {
    return new BearerTokenAuth(http, { realm: bearer.params.realm ?? '', service: bearer.params.service }, credentials);
  }
  if (challenges.some((c) => c.scheme === 'basic')) {
    if (!credentials) {
      throw authFailure(target, 'the registry asks for basic credentials and none are configured (username/password or dockerConfig)');
    }
    return new BasicAuth(credentials);
  }
  const offered = challenges.map((c) => c.scheme).join(', ') || 'none';
  throw authFailure(target, `401 with no supported WWW-Authenticate challenge (offered: ${offered})`);
}
