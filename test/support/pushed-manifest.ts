import { isIndexMediaType } from './media-types';
import type { ManifestDocument, Platform } from './manifest';

export interface BlobDescriptor {
  mediaType: string;
  digest: string;
  size: number;
}

/** What a test needs to know about a pushed manifest: its digest, and the blobs it points at. */
export interface PushedManifest {
  digest: string;
  mediaType: string;
  size: number;
  platform?: Platform;
  /** Image manifests: the config blob. */
  config?: BlobDescriptor;
  /** Image manifests: the layer blobs, bottom first. */
  layers: BlobDescriptor[];
  /** Indexes and manifest lists: one entry per platform. */
  manifests: PushedManifest[];
}

interface ManifestJson {
  config?: BlobDescriptor;
  layers?: BlobDescriptor[];
}

/** Reads the pushed document itself, so the description always matches the bytes in the registry. */
export function describeManifest(
  doc: ManifestDocument,
  children: PushedManifest[] = [],
  platform?: Platform,
): PushedManifest {
  const json = JSON.parse(doc.body.toString('utf8')) as ManifestJson;
  const blob = (d: BlobDescriptor): BlobDescriptor => ({ mediaType: d.mediaType, digest: d.digest, size: d.size });
  return {
    digest: doc.digest,
    mediaType: doc.mediaType,
    size: doc.body.length,
    ...(platform ? { platform } : {}),
    ...(!isIndexMediaType(doc.mediaType) && json.config ? { config: blob(json.config) } : {}),
    layers: isIndexMediaType(doc.mediaType) ? [] : (json.layers ?? []).map(blob),
    manifests: children,
  };
}
