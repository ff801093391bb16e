import { gunzipSync } from 'node:zlib';
import { sha256Digest } from './digest';
import type { ManifestDocument } from './manifest';
import { MediaType } from './media-types';
import { describeManifest, type PushedManifest } from './pushed-manifest';
import type { RegistryClient } from './registry-client';
import { readTarFiles } from './tar-read';

interface DockerSaveEntry {
  Config: string;
  RepoTags: string[] | null;
  Layers: string[];
}

function member(files: Map<string, Buffer>, name: string, archive: string): Buffer {
  const data = files.get(name);
  if (!data) throw new Error(`${archive} has no member ${name}`);
  return data;
}

/**
 * Pushes a `docker save` archive as it is: its config and its (uncompressed) layer tars become
 * blobs byte for byte, under a Docker schema2 manifest that types them as uncompressed layers.
 * A gzipped archive is unpacked in memory first.
 */
export async function pushDockerArchive(
  client: RegistryClient,
  archive: Buffer,
  archiveName: string,
  repository: string,
  tags: readonly string[],
): Promise<PushedManifest> {
  const isGzip = archive[0] === 0x1f && archive[1] === 0x8b;
  const files = await readTarFiles(isGzip ? gunzipSync(archive) : archive);
  const entries = JSON.parse(member(files, 'manifest.json', archiveName).toString('utf8')) as DockerSaveEntry[];
  const [image] = entries;
  if (entries.length !== 1 || !image) throw new Error(`${archiveName} holds ${entries.length} images; expected one`);

  const config = member(files, image.Config, archiveName);
  const layers = image.Layers.map((name) => member(files, name, archiveName));
  for (const blob of [config, ...layers]) await client.pushBlob(repository, blob);

  const body = Buffer.from(
    JSON.stringify(
      {
        schemaVersion: 2,
        mediaType: MediaType.dockerManifest,
        config: { mediaType: MediaType.dockerConfig, digest: sha256Digest(config), size: config.length },
        layers: layers.map((l) => ({ mediaType: MediaType.dockerLayerTar, digest: sha256Digest(l), size: l.length })),
      },
      null,
      2,
    ),
  );
  const manifest: ManifestDocument = { body, mediaType: MediaType.dockerManifest, digest: sha256Digest(body) };
  for (const tag of tags) await client.pushManifest(repository, tag, body, manifest.mediaType);
  return describeManifest(manifest);
}
