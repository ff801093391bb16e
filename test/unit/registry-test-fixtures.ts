import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type http from 'node:http';
import { join } from 'node:path';
import { HttpClient } from '../../src/http/http-client';
import { RegistryClient, type RegistryClientOptions } from '../../src/registry/client';
import type { RegistryHostConfig } from '../../src/registry/types';

const FIXTURES = join(__dirname, '..', 'fixtures', 'registry');

export function fixture(name: string): Buffer {
  return readFileSync(join(FIXTURES, name));
}

export function fixturePath(name: string): string {
  return join(FIXTURES, name);
}

export function sha256(data: Buffer | string): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

/** Real alpine:3.14 documents (see test/fixtures/registry/README.md). */
export const ALPINE = {
  list: fixture('alpine-3.14-manifest-list.json'),
  listDigest: 'sha256:6cc7fe2dd7a4ee19c589de7371870f9350b6218db31c610939251e189edf2288',
  manifest: fixture('alpine-3.14-amd64-manifest.json'),
  manifestDigest: 'sha256:c8844343d5ccbc9f24a7cca4bdcf5b2d43cde2c83d201b18365c99b1e5f24c80',
  config: fixture('alpine-3.14-amd64-config.json'),
  configDigest: 'sha256:6dff1269bc79a7c9056a9e9fa9c04850e842b0124a9c73d089ae647b13b0187d',
  layerDigest: 'sha256:d261077062b2aebb9ca8dc61f2b00e7e2b4e44179d3cfbe526c4ee0c5e41b26f',
};

/** Answers a manifest GET as distribution does: Content-Type and Docker-Content-Digest set. */
export function sendManifest(res: http.ServerResponse, body: Buffer, mediaType: string, digest: string | null = sha256(body)): void {
  const headers: http.OutgoingHttpHeaders = { 'content-type': mediaType, 'content-length': body.length };
  if (digest) headers['docker-content-digest'] = digest;
  res.writeHead(200, headers);
  res.end(body);
}

export function basicHeader(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
}

/** Makes registry clients with fast retries and closes them after each test. */
export function clientFactory(): {
  make(config: RegistryHostConfig, options?: RegistryClientOptions): RegistryClient;
  closeAll(): void;
} {
  const made: { client: RegistryClient; http: HttpClient }[] = [];
  return {
    make(config, options = {}) {
      const http = new HttpClient({ retries: 1, retryTiming: { baseDelayMs: 5, maxDelayMs: 20 }, idleTimeoutMs: 5000 });
      const client = new RegistryClient(config, { http, ...options });
      made.push({ client, http });
      return client;
    },
    closeAll() {
      for (const { client, http } of made.splice(0)) {
        client.close();
        http.close();
      }
    },
  };
}

/** A client factory whose clients are closed after each test of the describe block. */
export function useRegistryClients(): ReturnType<typeof clientFactory> {
  const clients = clientFactory();
  afterEach(() => clients.closeAll());
  return clients;
}
