import fs from 'node:fs';
import type { Config } from '../config/schema';
import type { RegistryHostConfig } from '../registry/types';
import { openShiftErrorFrom } from './openshift-api-error';
import { connectToCluster, IMAGE_GROUP, IMAGE_VERSION, SERVICE_CA, type ClusterConnection } from './openshift-cluster';
import { imagesOfStream, type ImageStreamObject } from './openshift-image-streams';
import { requestOptions } from './openshift-request';
import type { DiscoveredImage, DiscoveryProblem, ImageSource } from './source';

type OpenShiftSourceConfig = Extract<Config['sources'][number], { type: 'openshift' }>;

/** The integrated registry's in-cluster service name (OpenShift 4). */
export const INTEGRATED_REGISTRY = 'image-registry.openshift-image-registry.svc:5000';

/** Image streams per list request: bounded answers on clusters with thousands of streams. */
const PAGE_SIZE = 250;

interface ImageStreamList {
  items?: ImageStreamObject[];
  metadata?: { continue?: string };
}

/**
 * The images of OpenShift image streams, in all namespaces or the configured ones. A namespace
 * that cannot be listed is reported and the others go on; a cluster-wide list that fails is an
 * error, since nothing could be enumerated and an empty result would read as "no images".
 */
export class OpenShiftSource implements ImageSource {
  readonly name: string;
  readonly type = 'openshift' as const;
  private connection?: ClusterConnection;
  private readonly requestOptions: ReturnType<typeof requestOptions>;
  /** Integrated-registry hosts named by the streams' status, learnt while discovering. */
  private readonly integratedHosts = new Set<string>([INTEGRATED_REGISTRY]);

  constructor(
    private readonly config: OpenShiftSourceConfig,
    private readonly registries: Config['registries'],
  ) {
    this.name = config.name;
    this.requestOptions = requestOptions({ timeoutMs: config.requestTimeoutSeconds * 1000 });
  }

  async *discover(options: { signal?: AbortSignal; onProblem: (p: DiscoveryProblem) => void }): AsyncIterable<DiscoveredImage> {
    const namespaces = this.config.namespaces;
    if (namespaces === undefined) {
      for await (const stream of this.streams(undefined, options.signal)) yield* this.imagesOf(stream, options.onProblem);
      return;
    }
    for (const namespace of namespaces) {
      const streams: ImageStreamObject[] = [];
      try {
        for await (const stream of this.streams(namespace, options.signal)) streams.push(stream);
      } catch (e) {
        if (options.signal?.aborted) throw e;
        options.onProblem({ source: this.name, where: `namespace ${namespace}`, message: openShiftErrorFrom(e, `listing image streams in namespace ${namespace}`, { namespace }).message });
        continue;
      }
      for (const stream of streams) yield* this.imagesOf(stream, options.onProblem);
    }
  }

  registryFor(host: string): RegistryHostConfig {
    const configured = this.registries.find((r) => r.host.toLowerCase() === host.toLowerCase());
    if (configured) return configured;
    if (!this.integratedHosts.has(host.toLowerCase())) return { host };
    // The integrated registry takes the service account's token as a bearer token (the
    // `registry.openshift.io` imagestreams/layers permission of deploy/clusterrole.yaml).
    const token = this.connect().token();
    return { host, ...(token !== undefined && { token }), ...(fs.existsSync(SERVICE_CA) && { caFile: SERVICE_CA }) };
  }

  private *imagesOf(stream: ImageStreamObject, onProblem: (p: DiscoveryProblem) => void): Iterable<DiscoveredImage> {
    const found = imagesOfStream(this.name, stream);
    for (const host of found.registryHosts) this.integratedHosts.add(host);
    for (const p of found.problems) onProblem(p);
    yield* found.images;
  }

  /** Every image stream of one namespace (or of the cluster), page by page. */
  private async *streams(namespace: string | undefined, signal?: AbortSignal): AsyncIterable<ImageStreamObject> {
    const { api } = this.connect();
    let token: string | undefined;
    do {
      signal?.throwIfAborted();
      const page = { group: IMAGE_GROUP, version: IMAGE_VERSION, plural: 'imagestreams', limit: PAGE_SIZE, ...(token !== undefined && { _continue: token }) };
      let list: ImageStreamList;
      try {
        list = (
          namespace === undefined
            ? await api.listClusterCustomObject(page, this.requestOptions)
            : await api.listNamespacedCustomObject({ ...page, namespace }, this.requestOptions)
        ) as ImageStreamList;
      } catch (e) {
        const where = namespace === undefined ? 'in all namespaces' : `in namespace ${namespace}`;
        throw openShiftErrorFrom(e, `source ${this.name}: listing image streams ${where}`, { namespace });
      }
      yield* list.items ?? [];
      token = list.metadata?.continue || undefined;
    } while (token !== undefined);
  }

  private connect(): ClusterConnection {
    this.connection ??= connectToCluster({ kubeconfig: this.config.kubeconfig, context: this.config.context, source: this.name });
    return this.connection;
  }
}
