import { RegistryError } from '../../src/errors';
import { basicAuthorization, type Credentials } from './credentials';
import { sha256Digest } from './digest';
import { MANIFEST_ACCEPT } from './media-types';
import { parseChallenge } from './www-authenticate';

export interface FetchedManifest {
  body: Buffer;
  mediaType: string;
  digest: string;
}

interface RequestOptions {
  headers?: Record<string, string>;
  body?: Buffer;
  /** The token scope this request needs, e.g. `repository:alpine:pull,push`. */
  scope: string;
}

/**
 * The small part of the distribution API the harness needs to push images and to check what a
 * registry holds. Answers basic and bearer challenges like a real client: first request
 * anonymous, then retry once with the credentials or a token for the request's scope.
 */
export class RegistryClient {
  private readonly authorizations = new Map<string, string>();

  constructor(
    readonly baseUrl: string,
    private readonly credentials?: Credentials,
  ) {}

  private get registry(): string {
    return new URL(this.baseUrl).host;
  }

  async request(method: string, pathOrUrl: string, options: RequestOptions): Promise<Response> {
    const url = new URL(pathOrUrl, this.baseUrl).toString();
    const send = (authorization?: string): Promise<Response> =>
      fetch(url, {
        method,
        headers: { ...options.headers, ...(authorization ? { Authorization: authorization } : {}) },
        body: options.body,
        redirect: 'manual',
      });
    const res = await send(this.authorizations.get(options.scope));
    if (res.status !== 401) return res;
    const challenge = res.headers.get('www-authenticate');
    await res.arrayBuffer();
    if (challenge === null || this.credentials === undefined) return res;
    const authorization = await this.authorize(challenge, options.scope);
    this.authorizations.set(options.scope, authorization);
    return send(authorization);
  }

  private async authorize(header: string, scope: string): Promise<string> {
    const credentials = this.credentials as Credentials;
    const challenge = parseChallenge(header);
    if (challenge.scheme === 'basic') return basicAuthorization(credentials);
    if (challenge.scheme !== 'bearer' || !challenge.params.realm) {
      throw new RegistryError('registry-auth', `unsupported challenge "${header}"`, { registry: this.registry });
    }
    const tokenUrl = new URL(challenge.params.realm);
    if (challenge.params.service) tokenUrl.searchParams.set('service', challenge.params.service);
    tokenUrl.searchParams.set('scope', scope);
    const res = await fetch(tokenUrl, { headers: { Authorization: basicAuthorization(credentials) } });
    const text = await res.text();
    if (!res.ok) {
      throw new RegistryError('registry-auth', `token endpoint answered ${res.status}: ${text}`, {
        registry: this.registry,
        url: tokenUrl.toString(),
        status: res.status,
      });
    }
    const body = JSON.parse(text) as { token?: string; access_token?: string };
    const token = body.token ?? body.access_token;
    if (!token) throw new RegistryError('registry-auth', 'token endpoint returned no token', { url: tokenUrl.toString() });
    return `Bearer ${token}`;
  }

  private async expect(res: Response, okStatuses: number[], what: string): Promise<Response> {
    if (okStatuses.includes(res.status)) return res;
    const text = await res.text();
    const kind = res.status === 401 ? 'registry-auth' : res.status === 404 ? 'registry-not-found' : 'registry-http';
    throw new RegistryError(kind, `${what}: HTTP ${res.status} ${text.slice(0, 300)}`, {
      registry: this.registry,
      url: res.url,
      status: res.status,
    });
  }

  async blobExists(repository: string, digest: string): Promise<boolean> {
    const res = await this.request('HEAD', `/v2/${repository}/blobs/${digest}`, { scope: `repository:${repository}:pull,push` });
    await res.arrayBuffer();
    return res.status === 200;
  }

  /** Uploads one blob (a POST to open the upload, one PUT with the content) unless already present. */
  async pushBlob(repository: string, data: Buffer): Promise<string> {
    const digest = sha256Digest(data);
    if (await this.blobExists(repository, digest)) return digest;
    const scope = `repository:${repository}:pull,push`;
    const started = await this.expect(
      await this.request('POST', `/v2/${repository}/blobs/uploads/`, { scope }),
      [202],
      `starting upload of ${digest} to ${repository}`,
    );
    await started.arrayBuffer();
    const location = started.headers.get('location');
    if (!location) throw new RegistryError('registry-http', 'upload started without a Location', { registry: this.registry });
    const target = `${location}${location.includes('?') ? '&' : '?'}digest=${encodeURIComponent(digest)}`;
    const done = await this.expect(
      await this.request('PUT', target, {
        scope,
        body: data,
        headers: { 'Content-Type': 'application/octet-stream' },
      }),
      [201],
      `finishing upload of ${digest} to ${repository}`,
    );
    await done.arrayBuffer();
    return digest;
  }

  /** Stores a manifest verbatim under a tag or digest; returns the digest the registry computed. */
  async pushManifest(repository: string, reference: string, body: Buffer, mediaType: string): Promise<string> {
    const res = await this.expect(
      await this.request('PUT', `/v2/${repository}/manifests/${reference}`, {
        scope: `repository:${repository}:pull,push`,
        body,
        headers: { 'Content-Type': mediaType },
      }),
      [201],
      `pushing manifest ${repository}:${reference}`,
    );
    await res.arrayBuffer();
    const digest = res.headers.get('docker-content-digest') ?? sha256Digest(body);
    if (digest !== sha256Digest(body)) {
      throw new RegistryError('digest-mismatch', `registry stored ${digest} for a manifest hashing to ${sha256Digest(body)}`, {
        registry: this.registry,
        image: `${repository}:${reference}`,
      });
    }
    return digest;
  }

  async getManifest(repository: string, reference: string): Promise<FetchedManifest> {
    const res = await this.expect(
      await this.request('GET', `/v2/${repository}/manifests/${reference}`, {
        scope: `repository:${repository}:pull`,
        headers: { Accept: MANIFEST_ACCEPT },
      }),
      [200],
      `fetching manifest ${repository}:${reference}`,
    );
    const body = Buffer.from(await res.arrayBuffer());
    return {
      body,
      mediaType: res.headers.get('content-type') ?? '',
      digest: res.headers.get('docker-content-digest') ?? sha256Digest(body),
    };
  }

  async getBlob(repository: string, digest: string): Promise<Buffer> {
    const res = await this.expect(
      await this.request('GET', `/v2/${repository}/blobs/${digest}`, { scope: `repository:${repository}:pull` }),
      [200],
      `fetching blob ${digest} from ${repository}`,
    );
    return Buffer.from(await res.arrayBuffer());
  }
}
