import { RegistryError, type ErrorContext } from '../errors';

export const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
export const DOCKER_MANIFEST_LIST = 'application/vnd.docker.distribution.manifest.list.v2+json';
export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
export const DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';

export const OCI_CONFIG = 'application/vnd.oci.image.config.v1+json';
export const DOCKER_CONFIG = 'application/vnd.docker.container.image.v1+json';

/** Sent on every manifest request: Debian's docker-registry answers 404 for an OCI manifest unless asked for it. */
export const MANIFEST_ACCEPT = [OCI_INDEX, DOCKER_MANIFEST_LIST, OCI_MANIFEST, DOCKER_MANIFEST].join(', ');

export type ManifestKind = 'index' | 'manifest';

const KINDS: Record<string, ManifestKind> = {
  [OCI_INDEX]: 'index',
  [DOCKER_MANIFEST_LIST]: 'index',
  [OCI_MANIFEST]: 'manifest',
  [DOCKER_MANIFEST]: 'manifest',
};

export function manifestKind(mediaType: string): ManifestKind | undefined {
  return KINDS[mediaType];
}

export function isImageConfig(mediaType: string): boolean {
  return mediaType === OCI_CONFIG || mediaType === DOCKER_CONFIG;
}

/** Content types that say nothing about the manifest: the body's own mediaType decides. */
const GENERIC_CONTENT_TYPES = new Set(['', 'application/json', 'text/plain', 'application/octet-stream']);

function mediaTypeFromBody(body: Buffer, context: ErrorContext): string {
  let doc: unknown;
  try {
    doc = JSON.parse(body.toString('utf8'));
  } catch (err) {
    throw new RegistryError('manifest', `manifest is not valid JSON: ${(err as Error).message}`, context, { cause: err });
  }
  if (typeof doc !== 'object' || doc === null) throw new RegistryError('manifest', 'manifest is not a JSON object', context);
  const { mediaType, schemaVersion, manifests, config } = doc as Record<string, unknown>;
  if (typeof mediaType === 'string') return mediaType;
  if (schemaVersion === 1) return 'application/vnd.docker.distribution.manifest.v1+json';
  // OCI makes mediaType optional; the shape is then the only witness.
  if (schemaVersion === 2 && Array.isArray(manifests)) return OCI_INDEX;
  if (schemaVersion === 2 && config !== undefined) return OCI_MANIFEST;
  throw new RegistryError('manifest', 'cannot tell the manifest media type: no Content-Type, no mediaType, unknown shape', context);
}

/**
 * The manifest's media type from the response Content-Type, else from the body. Anything but
 * the four supported types (schema1 `…manifest.v1+prettyjws`, artifacts, …) is an error naming it.
 */
export function decideMediaType(contentType: string | undefined, body: Buffer, context: ErrorContext): string {
  const declared = (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  const mediaType = GENERIC_CONTENT_TYPES.has(declared) ? mediaTypeFromBody(body, context) : declared;
  if (manifestKind(mediaType) === undefined) {
    throw new RegistryError(
      'manifest',
      `unsupported manifest media type ${mediaType} (supported: ${MANIFEST_ACCEPT})`,
      context,
    );
  }
  return mediaType;
}
