import { sha256Digest } from './digest';
import { isIndexMediaType, isManifestMediaType } from './media-types';
import type { Platform } from './manifest';
import { describeManifest, type BlobDescriptor, type PushedManifest } from './pushed-manifest';
import type { RegistryClient } from './registry-client';
import { readTarFiles } from './tar-read';

interface LayoutDescriptor extends BlobDescriptor {
  platform?: Platform;
}

interface LayoutDocument {
  mediaType?: string;
  manifests?: LayoutDescriptor[];
  config?: LayoutDescriptor;
  layers?: LayoutDescriptor[];
}

/**
 * Pushes an OCI image layout (as `ctr export` writes it) without rewriting anything: every
 * manifest and blob is sent byte for byte, so the registry ends up with the layout's digests.
 * The single image `index.json` names is tagged with each of `tags`.
 */
export async function pushOciLayout(
  client: RegistryClient,
  archive: Buffer,
  archiveName: string,
  repository: string,
  tags: readonly string[],
): Promise<PushedManifest> {
  const files = await readTarFiles(archive);
  const blob = (descriptor: BlobDescriptor): Buffer => {
    const data = files.get(`blobs/${descriptor.digest.replace(':', '/')}`);
    if (!data) throw new Error(`${archiveName} lacks blob ${descriptor.digest}`);
    if (sha256Digest(data) !== descriptor.digest) throw new Error(`${archiveName}: blob ${descriptor.digest} does not match its digest`);
    return data;
  };

  const pushManifestTree = async (descriptor: LayoutDescriptor, references: readonly string[]): Promise<PushedManifest> => {
    if (!isManifestMediaType(descriptor.mediaType)) {
      throw new Error(`${archiveName}: ${descriptor.digest} has media type ${descriptor.mediaType}, not a manifest`);
    }
    const body = blob(descriptor);
    const parsed = JSON.parse(body.toString('utf8')) as LayoutDocument;
    const children: PushedManifest[] = [];
    if (isIndexMediaType(descriptor.mediaType)) {
      for (const child of parsed.manifests ?? []) children.push(await pushManifestTree(child, [child.digest]));
    } else {
      for (const d of [...(parsed.config ? [parsed.config] : []), ...(parsed.layers ?? [])]) {
        await client.pushBlob(repository, blob(d));
      }
    }
    const doc = { body, mediaType: descriptor.mediaType, digest: descriptor.digest };
    for (const reference of references) await client.pushManifest(repository, reference, body, descriptor.mediaType);
    return describeManifest(doc, children, descriptor.platform);
  };

  const index = JSON.parse((files.get('index.json') ?? Buffer.from('{}')).toString('utf8')) as LayoutDocument;
  const [top] = index.manifests ?? [];
  if (!top || index.manifests?.length !== 1) {
    throw new Error(`${archiveName}: index.json must name exactly one image, found ${index.manifests?.length ?? 0}`);
  }
  return pushManifestTree(top, tags);
}
