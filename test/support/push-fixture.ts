import { buildRecipe, type BuiltImage } from './build-recipe';
import { pushDockerArchive } from './docker-archive';
import { readImageFixture } from './fixture-paths';
import { pushOciLayout } from './oci-layout';
import { describeManifest, type PushedManifest } from './pushed-manifest';
import type { FixtureImageRecipe } from './recipe-types';
import type { RegistryClient } from './registry-client';

/** Pushes a built image: blobs, then per-platform manifests by digest, then the top document under each tag. */
export async function pushBuiltImage(
  client: RegistryClient,
  repository: string,
  tags: readonly string[],
  image: BuiltImage,
): Promise<PushedManifest> {
  for (const blob of image.blobs) await client.pushBlob(repository, blob);
  for (const child of image.children) {
    await client.pushManifest(repository, child.manifest.digest, child.manifest.body, child.manifest.mediaType);
  }
  for (const tag of tags) await client.pushManifest(repository, tag, image.manifest.body, image.manifest.mediaType);
  return describeManifest(
    image.manifest,
    image.children.map((c) => describeManifest(c.manifest, [], c.platform)),
  );
}

/**
 * Builds (once) and pushes one recipe to each given registry client. Built images are
 * deterministic, so every registry receives identical bytes and reports the same digests.
 */
export async function pushFixtureImage(recipe: FixtureImageRecipe, clients: readonly RegistryClient[]): Promise<PushedManifest> {
  let pushed: PushedManifest | undefined;
  if (recipe.kind === 'built' || recipe.kind === 'multi-arch') {
    const built = await buildRecipe(recipe);
    for (const client of clients) pushed = await pushBuiltImage(client, recipe.repository, recipe.tags, built);
  } else {
    const archive = readImageFixture(recipe.archive);
    const push = recipe.kind === 'docker-archive' ? pushDockerArchive : pushOciLayout;
    for (const client of clients) pushed = await push(client, archive, recipe.archive, recipe.repository, recipe.tags);
  }
  if (!pushed) throw new Error(`fixture image ${recipe.id} names no registry`);
  return pushed;
}
