import { pipeline, type Readable } from 'node:stream';
import { ImageReferenceError, RegistryError } from '../errors';
import { BlobVerifier } from './blob-verifier';
import { digestProblem } from './digest';
import { decideMediaType, isImageConfig, manifestKind, MANIFEST_ACCEPT } from './media-types';
import { parseImageIndex, parseImageManifest } from './manifest-document';
import { verifiedManifestDigest } from './manifest-digest';
import { PageLinks, readListPage } from './pagination';
import { formatPlatform, selectPlatform } from './platform';
import { formatReference, repositoryProblem, type ImageReference } from './reference';
import { errorContext, statusError, type RequestTarget } from './registry-errors';
import { RegistrySession, type RegistryClientOptions } from './registry-session';
import type { Descriptor, Platform, RegistryHostConfig, ResolvedImage } from './types';

export { registryHostFor } from './host-config';
export type { RegistryClientOptions } from './registry-session';

/** Manifests are small JSON; anything bigger is not a manifest worth holding in memory. */
const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;
const TAG = /^[\w][\w.-]{0,127}$/;

export interface FetchedManifest {
  digest: string;
  mediaType: string;
  body: Buffer;
}

function pullScope(repository: string): string {
  return `repository:${repository}:pull`;
}

/** Docker Registry HTTP API v2 / OCI distribution client for one registry host. */
export class RegistryClient {
  private readonly session: RegistrySession;

  constructor(host: RegistryHostConfig, options: RegistryClientOptions = {}) {
    this.session = new RegistrySession(host, options);
  }

  get registry(): string {
    return this.session.registry;
  }

  /** GET /v2/: picks https or http and the auth strategy, and checks configured credentials. */
  ping(): Promise<void> {
    return this.session.ping();
  }

  /** The raw manifest or index, its verified digest and media type (one of the four supported). */
  async getManifest(repository: string, reference: string): Promise<FetchedManifest> {
    this.checkRepository(repository);
    const byDigest = reference.includes(':');
    const image = `${this.registry}/${repository}${byDigest ? '@' : ':'}${reference}`;
    const problem = byDigest ? digestProblem(reference) : TAG.test(reference) ? undefined : 'is not a valid tag';
    if (problem) throw new ImageReferenceError(`invalid manifest reference "${reference}": ${problem}`, { image, registry: this.registry });
    const target: RequestTarget = { registry: this.registry, repository, image };
    const res = await this.session.send(`/v2/${repository}/manifests/${reference}`, {
      scope: pullScope(repository),
      target,
      headers: { accept: MANIFEST_ACCEPT },
    });
    if (res.status !== 200) throw await statusError(res, target, `manifest ${image}`);
    const body = await res.buffer(MAX_MANIFEST_BYTES);
    const context = errorContext(target, res.url);
    const mediaType = decideMediaType(res.header('content-type'), body, context);
    const digest = verifiedManifestDigest(body, res.header('docker-content-digest'), reference, context);
    return { digest, mediaType, body };
  }

  /** Follows an index (manifest list) to the manifest for `platform` and reads its config and layers. */
  async resolve(ref: ImageReference, platform: Platform): Promise<ResolvedImage> {
    const image = formatReference(ref);
    const context = { registry: this.registry, image };
    const top = await this.getManifest(ref.repository, ref.digest ?? ref.tag ?? 'latest');
    if (manifestKind(top.mediaType) === 'manifest') return this.toResolved(ref, top, undefined, undefined);

    const index = parseImageIndex(top.body, context);
    const entry = selectPlatform(index.manifests, platform);
    if (!entry) {
      const available = index.manifests.map((d) => (d.platform ? formatPlatform(d.platform) : `(no platform) ${d.digest}`));
      throw new RegistryError(
        'manifest',
        `${image} has no manifest for ${formatPlatform(platform)}; available: ${available.join(', ') || 'none'}`,
        context,
      );
    }
    if (manifestKind(entry.mediaType) !== 'manifest') {
      throw new RegistryError('manifest', `${image}: the ${formatPlatform(platform)} entry is a ${entry.mediaType}, not an image manifest`, context);
    }
    const child = await this.getManifest(ref.repository, entry.digest);
    if (manifestKind(child.mediaType) !== 'manifest') {
      throw new RegistryError('manifest', `${image}: ${entry.digest} is a ${child.mediaType}, not an image manifest`, context);
    }
    return this.toResolved(ref, child, top.digest, entry.platform);
  }

  /** A small blob (an image config) read whole and verified; refused before download when over `maxBytes`. */
  async getBlob(repository: string, d: Descriptor, maxBytes: number): Promise<Buffer> {
    if (d.size > maxBytes) {
      throw new RegistryError(
        'manifest',
        `blob ${d.digest} of ${repository} is ${d.size} bytes, more than the ${maxBytes} allowed for it`,
        { registry: this.registry, layer: d.digest },
      );
    }
    const chunks: Buffer[] = [];
    for await (const chunk of await this.openBlob(repository, d)) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  }

  /**
   * The blob as a stream that is hashed and counted as it passes and errors ('digest-mismatch',
   * 'blob-truncated') instead of ending when it does not match `d`. Redirects to storage are
   * followed without the registry's credentials.
   */
  async openBlob(repository: string, d: Descriptor): Promise<Readable> {
    this.checkRepository(repository);
    const target: RequestTarget = { registry: this.registry, repository };
    const context = { registry: this.registry, layer: d.digest };
    const problem = digestProblem(d.digest);
    if (problem) throw new RegistryError('manifest', `blob descriptor digest "${d.digest}" ${problem}`, context);
    const res = await this.session.send(`/v2/${repository}/blobs/${d.digest}`, { scope: pullScope(repository), target });
    if (res.status !== 200) throw (await statusError(res, target, `blob ${d.digest} of ${repository}`)).withContext(context);
    const verifier = new BlobVerifier(d, { ...context, url: errorContext(target, res.url).url });
    // Errors of either side end up on `verifier`, the stream the caller holds; nothing to do here.
    pipeline(res.body, verifier, () => undefined);
    return verifier;
  }

  /** Every repository name, following `_catalog` pagination. */
  async *catalog(): AsyncIterable<string> {
    const target: RequestTarget = { registry: this.registry };
    const links = new PageLinks();
    let page: string | URL | undefined = '/v2/_catalog';
    while (page) {
      const res = await this.session.send(page, { scope: 'registry:catalog:*', target });
      if (res.status !== 200) throw await statusError(res, target, 'the repository catalog');
      const next = links.next(res, target);
      yield* await readListPage(res, 'repositories', target);
      page = next;
    }
  }

  /** Every tag of `repository`, following `tags/list` pagination. */
  async *tags(repository: string): AsyncIterable<string> {
    this.checkRepository(repository);
    const target: RequestTarget = { registry: this.registry, repository };
    const links = new PageLinks();
    let page: string | URL | undefined = `/v2/${repository}/tags/list`;
    while (page) {
      const res = await this.session.send(page, { scope: pullScope(repository), target });
      if (res.status !== 200) throw await statusError(res, target, `the tag list of ${repository}`);
      const next = links.next(res, target);
      yield* await readListPage(res, 'tags', target);
      page = next;
    }
  }

  /** Releases keep-alive sockets (when this client made its own HTTP layer). */
  close(): void {
    this.session.close();
  }

  private toResolved(ref: ImageReference, manifest: FetchedManifest, indexDigest: string | undefined, platform: Platform | undefined): ResolvedImage {
    const context = { registry: this.registry, image: formatReference(ref) };
    const parsed = parseImageManifest(manifest.body, context);
    if (!isImageConfig(parsed.config.mediaType)) {
      throw new RegistryError('manifest', `${context.image} is not a container image (config media type ${parsed.config.mediaType})`, context);
    }
    const resolved: ResolvedImage = {
      reference: ref,
      manifestDigest: manifest.digest,
      mediaType: manifest.mediaType,
      config: parsed.config,
      layers: parsed.layers,
    };
    if (indexDigest) resolved.indexDigest = indexDigest;
    if (platform) resolved.platform = platform;
    return resolved;
  }

  private checkRepository(repository: string): void {
    const problem = repositoryProblem(repository);
    if (problem) throw new ImageReferenceError(`invalid repository: ${problem}`, { registry: this.registry, image: `${this.registry}/${repository}` });
  }
}
