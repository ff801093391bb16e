import { isImagewardenError } from '../errors';
import { digestProblem } from '../registry/digest';
import { parseReference } from '../registry/reference';
import type { DiscoveredImage, DiscoveryProblem } from './source';

/** The fields of an `image.openshift.io/v1` ImageStream this module reads. */
export interface ImageStreamObject {
  metadata?: { name?: string; namespace?: string };
  status?: {
    dockerImageRepository?: string;
    publicDockerImageRepository?: string;
    tags?: { tag?: string; items?: ({ dockerImageReference?: string; image?: string; created?: string } | null)[] | null }[] | null;
  };
}

export interface StreamImages {
  images: DiscoveredImage[];
  problems: DiscoveryProblem[];
  /** Hosts of the integrated registry as this stream names it (internal service and public route). */
  registryHosts: string[];
}

/**
 * Every image a stream's status lists: each `status.tags[].items[]` is an image the cluster may
 * run (the newest is what the tag resolves to, older ones are what running pods may still use),
 * so every item is yielded, pulled by its `dockerImageReference` and tagged with the stream tag.
 * A stream only in `spec` (never imported or pushed to) has no images yet.
 */
export function imagesOfStream(source: string, stream: ImageStreamObject): StreamImages {
  const namespace = stream.metadata?.namespace;
  const name = stream.metadata?.name ?? '';
  const images: DiscoveredImage[] = [];
  const problems: DiscoveryProblem[] = [];
  for (const tag of stream.status?.tags ?? []) {
    const tagName = tag.tag ?? '';
    for (const item of tag.items ?? []) {
      const where = `${namespace ?? ''}/${name}:${tagName}`;
      const digest = item?.image ?? '';
      const digestIssue = digestProblem(digest);
      if (digestIssue || !item?.dockerImageReference) {
        problems.push({ source, where, message: `status item without a usable image digest or dockerImageReference (image "${digest}"${digestIssue ? `: ${digestIssue}` : ''})` });
        continue;
      }
      try {
        const parsed = parseReference(item.dockerImageReference);
        images.push({
          source,
          ...(namespace !== undefined && { namespace }),
          reference: { registry: parsed.registry, repository: parsed.repository, ...(tagName !== '' && { tag: tagName }), digest },
          digest,
          ...(item.created !== undefined && { created: item.created }),
        });
      } catch (e) {
        if (!isImagewardenError(e)) throw e;
        problems.push({ source, where, message: e.message });
      }
    }
  }
  const registryHosts = [stream.status?.dockerImageRepository, stream.status?.publicDockerImageRepository]
    .filter((r): r is string => typeof r === 'string' && r.includes('/'))
    .map((r) => r.slice(0, r.indexOf('/')).toLowerCase());
  return { images, problems, registryHosts };
}
