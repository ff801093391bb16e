import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { ConfigError } from '../../errors';
import { isDockerHub } from '../reference';
import type { Credentials } from './strategy';

interface AuthEntry {
  auth?: unknown;
  username?: unknown;
  password?: unknown;
}

interface DockerConfigFile {
  auths?: Record<string, AuthEntry>;
  credsStore?: unknown;
  credHelpers?: Record<string, unknown>;
}

export function expandHome(path: string): string {
  return path === '~' || path.startsWith('~/') ? homedir() + path.slice(1) : path;
}

/** `https://index.docker.io/v1/`, `http://host:5000`, `host:5000` all name a host. */
function keyHost(key: string): string {
  const host = key.trim().toLowerCase().replace(/^[a-z]+:\/\//, '').split('/')[0] ?? '';
  return isDockerHub(host) ? 'docker.io' : host;
}

function decodeAuth(value: string, file: string, key: string): Credentials {
  const decoded = Buffer.from(value, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon <= 0) {
    throw new ConfigError(`auths["${key}"].auth in ${file} is not base64 of "user:password"`, { file, key: `auths.${key}.auth` });
  }
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/**
 * Credentials for `host` from a docker config.json, or undefined when it has none for that host.
 * Credentials kept by a credential helper cannot be read without running it, which we don't:
 * that case is an error, so it is never mistaken for anonymous access.
 */
export async function dockerConfigCredentials(path: string, host: string): Promise<Credentials | undefined> {
  const file = expandHome(path);
  let config: DockerConfigFile;
  try {
    config = JSON.parse(await readFile(file, 'utf8')) as DockerConfigFile;
  } catch (err) {
    throw new ConfigError(`cannot read docker config ${file}: ${(err as Error).message}`, { file }, { cause: err });
  }
  const wanted = keyHost(host);
  const key = Object.keys(config.auths ?? {}).find((k) => keyHost(k) === wanted);
  const entry = key === undefined ? undefined : config.auths?.[key];
  if (key !== undefined && entry) {
    if (typeof entry.auth === 'string' && entry.auth) return decodeAuth(entry.auth, file, key);
    if (typeof entry.username === 'string' && typeof entry.password === 'string') {
      return { username: entry.username, password: entry.password };
    }
  }
  const helperKey = Object.keys(config.credHelpers ?? {}).find((k) => keyHost(k) === wanted);
  const helper = helperKey === undefined ? config.credsStore : config.credHelpers?.[helperKey];
  if (typeof helper === 'string' && helper) {
    throw new ConfigError(
      `docker config ${file} keeps the credentials for ${host} in the credential helper "docker-credential-${helper}", which imagewarden does not run; set username/password for this registry instead`,
      { file },
    );
  }
  return undefined;
}
