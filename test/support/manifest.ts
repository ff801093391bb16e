import { sha256Digest } from './digest';
import type { Compression } from './layer';
import { MediaType } from './media-types';

export type ManifestFormat = 'docker' | 'oci';

export interface Platform {
  architecture: string;
  os: string;
  variant?: string;
}

/** Serialized manifest or index, with what is needed to push it and to refer to it. */
export interface ManifestDocument {
  body: Buffer;
  mediaType: string;
  digest: string;
}

function layerMediaType(format: ManifestFormat, compression: Compression): string {
  if (format === 'docker') {
    if (compression === 'zstd') throw new Error('Docker schema2 has no zstd layer type; use the OCI format');
    return compression === 'gzip' ? MediaType.dockerLayerGzip : MediaType.dockerLayerTar;
  }
  if (compression === 'gzip') return MediaType.ociLayerGzip;
  return compression === 'zstd' ? MediaType.ociLayerZstd : MediaType.ociLayerTar;
}

function document(content: Record<string, unknown>, mediaType: string): ManifestDocument {
  const body = Buffer.from(JSON.stringify(content, null, 2));
  return { body, mediaType, digest: sha256Digest(body) };
}

/** A Docker schema2 or OCI image manifest for a config blob and layer blobs. */
export function buildManifest(
  format: ManifestFormat,
  config: Buffer,
  layers: ReadonlyArray<{ blob: Buffer; compression: Compression }>,
): ManifestDocument {
  const mediaType = format === 'docker' ? MediaType.dockerManifest : MediaType.ociManifest;
  return document(
    {
      schemaVersion: 2,
      mediaType,
      config: {
        mediaType: format === 'docker' ? MediaType.dockerConfig : MediaType.ociConfig,
        digest: sha256Digest(config),
        size: config.length,
      },
      layers: layers.map((l) => ({
        mediaType: layerMediaType(format, l.compression),
        digest: sha256Digest(l.blob),
        size: l.blob.length,
      })),
    },
    mediaType,
  );
}

/** An OCI image index or Docker manifest list naming one manifest per platform. */
export function buildIndex(
  format: ManifestFormat,
  entries: ReadonlyArray<{ manifest: ManifestDocument; platform: Platform }>,
): ManifestDocument {
  const mediaType = format === 'docker' ? MediaType.dockerManifestList : MediaType.ociIndex;
  return document(
    {
      schemaVersion: 2,
      mediaType,
      manifests: entries.map(({ manifest, platform }) => ({
        mediaType: manifest.mediaType,
        digest: manifest.digest,
        size: manifest.body.length,
        platform,
      })),
    },
    mediaType,
  );
}
