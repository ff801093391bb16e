import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { trackChild, terminate } from './child-processes';
import { type Credentials, TEST_CREDENTIALS } from './credentials';
import { freePort } from './free-port';
import { registryConfig, type RegistryConfigInput } from './registry-config';
import { runCli } from './run-cli';
import { makeSigningCert } from './signing-cert';
import { startTokenServer, type TokenServer } from './token-server';

export const REGISTRY_BINARY = '/usr/bin/docker-registry';
export const TOKEN_SERVICE = 'imagewarden-test-registry';
export const TOKEN_ISSUER = 'imagewarden-test-token-issuer';

export type RegistryAuth = 'none' | 'htpasswd' | 'token';

export interface StartRegistryOptions {
  auth: RegistryAuth;
  /** Token mode only: repositories for which the token server grants no actions. */
  deniedRepositories?: readonly string[];
}

export interface RunningRegistry {
  auth: RegistryAuth;
  /** `127.0.0.1:PORT`, the host part of image references. */
  host: string;
  url: string;
  credentials?: Credentials;
  token?: { realm: string; service: string; issuer: string };
  logFile: string;
  stop(): Promise<void>;
}

const READY_TIMEOUT_MS = 15_000;
const PORT_ATTEMPTS = 3;

function logTail(logFile: string): string {
  if (!existsSync(logFile)) return '(no log)';
  return readFileSync(logFile, 'utf8').split('\n').slice(-15).join('\n');
}

async function waitUntilServing(url: string, child: ChildProcess, logFile: string): Promise<boolean> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) return false;
    try {
      const res = await fetch(`${url}/v2/`);
      await res.arrayBuffer();
      if (res.status === 200 || res.status === 401) return true;
    } catch {
      // Not listening yet: keep polling until the deadline.
    }
    await sleep(50);
  }
  await terminate(child);
  throw new Error(`docker-registry did not answer ${url}/v2/ within ${READY_TIMEOUT_MS} ms:\n${logTail(logFile)}`);
}

/**
 * Runs Debian's distribution 2.8 `docker-registry` on 127.0.0.1 with a private storage root,
 * optionally behind htpasswd basic auth or our own bearer-token server.
 */
export async function startRegistry(options: StartRegistryOptions): Promise<RunningRegistry> {
  if (!existsSync(REGISTRY_BINARY)) {
    throw new Error(`${REGISTRY_BINARY} is missing; run scripts/install-test-deps.sh`);
  }
  const dir = mkdtempSync(join(tmpdir(), `imagewarden-registry-${options.auth}-`));
  const logFile = join(dir, 'registry.log');
  let tokenServer: TokenServer | undefined;
  const cleanup = async (): Promise<void> => {
    await tokenServer?.stop();
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    let htpasswdPath: string | undefined;
    let tokenConfig: RegistryConfigInput['token'];
    if (options.auth === 'htpasswd') {
      htpasswdPath = join(dir, 'htpasswd');
      runCli('htpasswd', ['-Bbc', htpasswdPath, TEST_CREDENTIALS.username, TEST_CREDENTIALS.password]);
    } else if (options.auth === 'token') {
      const signing = makeSigningCert(dir, TOKEN_ISSUER);
      tokenServer = await startTokenServer({
        issuer: TOKEN_ISSUER,
        service: TOKEN_SERVICE,
        credentials: TEST_CREDENTIALS,
        signing,
        deniedRepositories: options.deniedRepositories,
      });
      tokenConfig = { realm: tokenServer.realm, service: TOKEN_SERVICE, issuer: TOKEN_ISSUER, rootCertBundle: signing.certPath };
    }

    // A port probed free can be taken before the registry binds it, so a lost race is retried.
    for (let attempt = 1; attempt <= PORT_ATTEMPTS; attempt++) {
      const port = await freePort();
      const configPath = join(dir, 'config.yml');
      const config = registryConfig({
        port,
        storageRoot: join(dir, 'storage'),
        htpasswdPath,
        token: tokenConfig,
      });
      writeFileSync(configPath, JSON.stringify(config, null, 2));
      const logFd = openSync(logFile, 'a');
      const child = spawn(REGISTRY_BINARY, ['serve', configPath], { stdio: ['ignore', logFd, logFd] });
      closeSync(logFd);
      trackChild(child);
      const url = `http://127.0.0.1:${port}`;
      if (!(await waitUntilServing(url, child, logFile))) continue;
      return {
        auth: options.auth,
        host: `127.0.0.1:${port}`,
        url,
        credentials: options.auth === 'none' ? undefined : { ...TEST_CREDENTIALS },
        token: tokenConfig && { realm: tokenConfig.realm, service: tokenConfig.service, issuer: tokenConfig.issuer },
        logFile,
        stop: async () => {
          await terminate(child);
          await cleanup();
        },
      };
    }
    throw new Error(`docker-registry exited before serving, ${PORT_ATTEMPTS} times:\n${logTail(logFile)}`);
  } catch (e) {
    await cleanup();
    throw e;
  }
}
