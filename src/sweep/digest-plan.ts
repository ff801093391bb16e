import type { DiscoveredImage } from '../sources/source';

export type DigestStatus = 'indexed' | 'queued' | 'scanned' | 'failed' | 'known-failure' | 'not-started';

export interface PlannedDigest {
  digest: string;
  /** Every tag (and namespace) that points at the digest, across sources; the first is the one scanned. */
  sightings: DiscoveredImage[];
  status: DigestStatus;
  /** Why it is `unknown`: the scan's failure, and its error kind. */
  failure?: string;
  failureKind?: string;
}

/**
 * The sweep's view of what it found: one entry per manifest digest, however many tags,
 * namespaces and sources point at it, so each digest is scanned once.
 */
export class DigestPlan {
  private readonly digests = new Map<string, PlannedDigest>();
  tags = 0;

  /** Adds a sighting; returns the entry when the digest is new to this sweep. */
  add(image: DiscoveredImage, statusOfNew: () => DigestStatus): PlannedDigest | undefined {
    this.tags++;
    const known = this.digests.get(image.digest);
    if (known) {
      known.sightings.push(image);
      return undefined;
    }
    const entry: PlannedDigest = { digest: image.digest, sightings: [image], status: statusOfNew() };
    this.digests.set(image.digest, entry);
    return entry;
  }

  get size(): number {
    return this.digests.size;
  }

  entries(): IterableIterator<PlannedDigest> {
    return this.digests.values();
  }

  /** The digests one source saw, each once. */
  digestsOf(source: string): PlannedDigest[] {
    return [...this.digests.values()].filter((d) => d.sightings.some((s) => s.source === source));
  }
}
