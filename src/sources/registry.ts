import type { Config } from '../config/schema';
import { ImagewardenError, messageOf } from '../errors';
import { RegistryClient, registryHostFor } from '../registry/client';
import { parsePlatform } from '../registry/platform';
import { formatReference } from '../registry/reference';
import type { Platform, RegistryHostConfig, ResolvedImage } from '../registry/types';
import { summarizeImageConfig } from '../scan/image-config';
import { concurrentMap } from '../sweep/concurrent-map';
import { nameFilter, type NameFilter } from '../sweep/name-filter';
import type { DiscoveredImage, DiscoveryProblem, ImageSource } from './source';

export type RegistrySourceConfig = Extract<Config['sources'][number], { type: 'registry' }>;

export interface RegistrySourceOptions {
  /** The platform an index (manifest list) is followed to, as `check` does: `scan.platform`. */
  platform?: Platform;
  /** Repositories whose tags are listed at once. */
  repositoryConcurrency?: number;
  /** Tags of one repository resolved at once. */
  tagConcurrency?: number;
}

const MAX_CONFIG_BYTES = 8 * 1024 * 1024;

/**
 * A Docker/OCI v2 registry read through its `_catalog`: every repository and tag the source's
 * include/exclude patterns keep, each tag resolved to the manifest digest it points at now.
 */
export class RegistrySource implements ImageSource {
  readonly type = 'registry';
  readonly name: string;
  private readonly host: string;
  private readonly repositories: NameFilter;
  private readonly tags: NameFilter;
  private readonly platform: Platform;
  private readonly repositoryConcurrency: number;
  private readonly tagConcurrency: number;

  constructor(
    private readonly config: RegistrySourceConfig,
    private readonly registries: Config['registries'],
    options: RegistrySourceOptions = {},
  ) {
    this.name = config.name;
    this.host = new URL(config.url).host;
    this.repositories = nameFilter(config.repositories);
    this.tags = nameFilter(config.tags);
    this.platform = options.platform ?? parsePlatform('linux/amd64');
    this.repositoryConcurrency = options.repositoryConcurrency ?? 4;
    this.tagConcurrency = options.tagConcurrency ?? 8;
  }

  /**
   * The `registries:` entry of `host`; for the source's own host an `http://` URL also allows
   * plain http, as the URL says so.
   */
  registryFor(host: string): RegistryHostConfig {
    const entry = registryHostFor({ registry: host, repository: '' }, this.registries);
    if (host === this.host && new URL(this.config.url).protocol === 'http:' && entry.insecure === undefined) return { ...entry, insecure: true };
    return entry;
  }

  async *discover(options: { signal?: AbortSignal; onProblem: (p: DiscoveryProblem) => void }): AsyncIterable<DiscoveredImage> {
    const client = new RegistryClient(this.registryFor(this.host), { timeoutMs: 60_000 });
    try {
      const repositories = this.wantedRepositories(client, options.signal);
      for await (const images of concurrentMap(repositories, this.repositoryConcurrency, (repo) => this.discoverRepository(client, repo, options))) {
        yield* images;
      }
    } finally {
      client.close();
    }
  }

  private async *wantedRepositories(client: RegistryClient, signal: AbortSignal | undefined): AsyncIterable<string> {
    for await (const repository of client.catalog()) {
      if (signal?.aborted) return;
      if (this.repositories.matches(repository)) yield repository;
    }
  }

  /** One repository's images; a repository that fails is one problem, never the end of the sweep. */
  private async discoverRepository(
    client: RegistryClient,
    repository: string,
    options: { signal?: AbortSignal; onProblem: (p: DiscoveryProblem) => void },
  ): Promise<DiscoveredImage[]> {
    let tags: string[];
    try {
      tags = [];
      for await (const tag of client.tags(repository)) if (this.tags.matches(tag)) tags.push(tag);
    } catch (e) {
      options.onProblem({ source: this.name, where: `${this.host}/${repository}`, message: `cannot list tags: ${messageOf(e)}` });
      return [];
    }
    const max = this.config.tags.maxPerRepository;
    // The config blob (for `created`) costs a request per tag: only read it when it decides something.
    const needCreated = max !== undefined && tags.length > max;
    const found: DiscoveredImage[] = [];
    const resolveTag = async (tag: string): Promise<DiscoveredImage | undefined> => {
      if (options.signal?.aborted) return undefined;
      const ref = { registry: this.host, repository, tag };
      try {
        const resolved = await client.resolve(ref, this.platform);
        const image = this.discovered(resolved, repository, tag);
        if (needCreated) {
          const created = await this.created(client, repository, resolved);
          if (created !== undefined) image.created = created;
        }
        return image;
      } catch (e) {
        const problem = e instanceof ImagewardenError ? e.describe() : messageOf(e);
        options.onProblem({ source: this.name, where: formatReference(ref), message: `cannot resolve: ${problem}` });
        return undefined;
      }
    };
    for await (const image of concurrentMap(tags, this.tagConcurrency, resolveTag)) if (image) found.push(image);
    return needCreated ? newestFirst(found).slice(0, max) : found;
  }

  private discovered(resolved: ResolvedImage, repository: string, tag: string): DiscoveredImage {
    // The reference keeps the index digest when the tag named one: scanning it follows the index
    // again to the same platform manifest and records both digests.
    return {
      source: this.name,
      reference: { registry: this.host, repository, tag, digest: resolved.indexDigest ?? resolved.manifestDigest },
      digest: resolved.manifestDigest,
    };
  }

  private async created(client: RegistryClient, repository: string, resolved: ResolvedImage): Promise<string | undefined> {
    const body = await client.getBlob(repository, resolved.config, MAX_CONFIG_BYTES);
    const summary = summarizeImageConfig(body, { image: formatReference(resolved.reference), registry: this.host });
    return typeof summary.created === 'string' && !Number.isNaN(Date.parse(summary.created)) ? summary.created : undefined;
  }
}

/** Newest `created` first; images without a date last, then by tag so the order is stable. */
function newestFirst(images: DiscoveredImage[]): DiscoveredImage[] {
  const time = (i: DiscoveredImage) => (i.created === undefined ? -Infinity : Date.parse(i.created));
  return [...images].sort((a, b) => time(b) - time(a) || (a.reference.tag ?? '').localeCompare(b.reference.tag ?? ''));
}
