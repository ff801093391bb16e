import type { RegistryHostConfig } from '../registry/types';
import type { ImageReference } from '../registry/types';

/** One tag (or image stream tag) a source found, resolved to the manifest digest it points at now. */
export interface DiscoveredImage {
  /** Name of the configured source. */
  source: string;
  /** OpenShift namespace of the image stream; absent for plain registries. */
  namespace?: string;
  /** Where to pull it: registry, repository, tag, and the digest. */
  reference: ImageReference & { digest: string };
  /** The manifest digest, also the name of OpenShift's cluster-scoped Image object. */
  digest: string;
  /** When the source knows it (OpenShift's `status.tags[].items[].created`), for newest-first ordering. */
  created?: string;
}

/** A failure to enumerate part of a source (one repository, one namespace): reported, never fatal to the rest. */
export interface DiscoveryProblem {
  source: string;
  where: string;
  message: string;
}

/**
 * A place images are found: a registry's catalog, OpenShift image streams. Sources only
 * enumerate; scanning, matching and enforcement are the sweep's.
 */
export interface ImageSource {
  readonly name: string;
  readonly type: 'registry' | 'openshift';
  /** Yields every image the source has now; problems go to `onProblem` and enumeration goes on. */
  discover(options: { signal?: AbortSignal; onProblem: (p: DiscoveryProblem) => void }): AsyncIterable<DiscoveredImage>;
  /** How to reach (and authenticate to) the registry host an image of this source is pulled from. */
  registryFor(host: string): RegistryHostConfig;
}
