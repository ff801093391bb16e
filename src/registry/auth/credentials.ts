import { ConfigError } from '../../errors';
import type { RegistryHostConfig } from '../types';
import { dockerConfigCredentials } from './docker-config';
import type { Credentials } from './strategy';

/** Explicit username/password win over a docker config.json; half a pair is a config error. */
export async function resolveCredentials(config: RegistryHostConfig): Promise<Credentials | undefined> {
  const { username, password } = config;
  if (username !== undefined || password !== undefined) {
    if (!username || password === undefined) {
      throw new ConfigError(`registry ${config.host}: username and password must be given together`, { registry: config.host });
    }
    return { username, password };
  }
  if (config.dockerConfig) return dockerConfigCredentials(config.dockerConfig, config.host);
  return undefined;
}
