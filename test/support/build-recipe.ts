import { sha256Digest } from './digest';
import { splitDpkgStatus } from './dpkg-status-split';
import { readImageFixture } from './fixture-paths';
import { buildImageConfig } from './image-config';
import { corruptGzip, deterministicJunk } from './junk';
import { buildLayer, type Layer } from './layer';
import type { LayerEntry } from './layer-entries';
import { buildIndex, buildManifest, type ManifestDocument, type Platform } from './manifest';
import type { BuiltImageRecipe, ImageRecipe, MultiArchRecipe, RecipeContent, RecipeEntry, RecipeLayer } from './recipe-types';

/** Everything needed to push a built recipe: blobs, per-platform manifests, and the tagged document. */
export interface BuiltImage {
  blobs: Buffer[];
  /** Manifests an index points at (pushed by digest before it); empty for a single image. */
  children: Array<{ manifest: ManifestDocument; platform: Platform }>;
  manifest: ManifestDocument;
}

function resolveContent(content: RecipeContent): Buffer {
  if ('fixture' in content) return readImageFixture(content.fixture);
  if ('text' in content) return Buffer.from(content.text, 'utf8');
  return deterministicJunk(content.junk.seed, content.junk.bytes);
}

function resolveEntries(entries: readonly RecipeEntry[]): LayerEntry[] {
  return entries.flatMap((entry): LayerEntry[] => {
    if (entry.type === 'file') return [{ type: 'file', path: entry.path, content: resolveContent(entry.content), mode: entry.mode }];
    if (entry.type === 'dpkg-status-d') {
      const stanzas = splitDpkgStatus(readImageFixture(entry.fixture).toString('utf8'), entry.fixture);
      return [
        { type: 'dir', path: entry.dir },
        ...[...stanzas].map(([name, stanza]): LayerEntry => ({ type: 'file', path: `${entry.dir}/${name}`, content: stanza })),
      ];
    }
    return [entry];
  });
}

async function buildRecipeLayer(recipeLayer: RecipeLayer, seed: string): Promise<Layer> {
  const layer = await buildLayer(resolveEntries(recipeLayer.entries), recipeLayer.compression);
  if (recipeLayer.corrupt !== 'gzip-garbage') return layer;
  const blob = corruptGzip(seed, layer.blob.length);
  return { ...layer, blob, digest: sha256Digest(blob) };
}

async function buildSingle(
  recipe: ImageRecipe,
  format: BuiltImageRecipe['format'],
  seed: string,
): Promise<{ blobs: Buffer[]; manifest: ManifestDocument }> {
  const layers: Layer[] = [];
  for (const [i, l] of recipe.layers.entries()) layers.push(await buildRecipeLayer(l, `${seed}:layer${i}`));
  const config = buildImageConfig(recipe.config, layers.map((l) => l.diffId));
  return { blobs: [config, ...layers.map((l) => l.blob)], manifest: buildManifest(format, config, layers) };
}

export async function buildRecipe(recipe: BuiltImageRecipe | MultiArchRecipe): Promise<BuiltImage> {
  if (recipe.kind === 'built') {
    const single = await buildSingle(recipe.image, recipe.format, recipe.id);
    return { ...single, children: [] };
  }
  const blobs: Buffer[] = [];
  const children: BuiltImage['children'] = [];
  for (const { platform, image } of recipe.platforms) {
    const single = await buildSingle(image, recipe.format, `${recipe.id}:${platform.architecture}`);
    blobs.push(...single.blobs);
    children.push({ manifest: single.manifest, platform });
  }
  return { blobs, children, manifest: buildIndex(recipe.format, children) };
}
