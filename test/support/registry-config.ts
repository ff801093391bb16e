import { randomBytes } from 'node:crypto';

export interface RegistryConfigInput {
  port: number;
  storageRoot: string;
  htpasswdPath?: string;
  token?: { realm: string; service: string; issuer: string; rootCertBundle: string };
}

/**
 * The distribution 2.8 configuration for one test registry. JSON is valid YAML, so the object
 * is written as JSON and no YAML library is needed.
 */
export function registryConfig(input: RegistryConfigInput): Record<string, unknown> {
  const config: Record<string, unknown> = {
    version: '0.1',
    log: { level: 'info', formatter: 'text', fields: { service: 'imagewarden-test-registry' } },
    storage: {
      filesystem: { rootdirectory: input.storageRoot },
      delete: { enabled: true },
      // The purger's first run would race the test's own uploads for nothing.
      maintenance: { uploadpurging: { enabled: false } },
    },
    http: { addr: `127.0.0.1:${input.port}`, secret: randomBytes(16).toString('hex') },
  };
  if (input.htpasswdPath !== undefined) {
    config.auth = { htpasswd: { realm: 'imagewarden-test', path: input.htpasswdPath } };
  } else if (input.token !== undefined) {
    config.auth = {
      token: {
        realm: input.token.realm,
        service: input.token.service,
        issuer: input.token.issuer,
        rootcertbundle: input.token.rootCertBundle,
      },
    };
  }
  return config;
}
