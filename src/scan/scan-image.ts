import type { Readable } from 'node:stream';
import { formatBytes } from '../config/size';
import { ImagewardenError, LayerError, RegistryError, messageOf } from '../errors';
import type { Inventory } from '../inventory/types';
import type { RegistryClient } from '../registry/client';
import { formatReference } from '../registry/reference';
import type { Descriptor, ImageReference, Platform, ResolvedImage } from '../registry/types';
import type { ImageStore, IndexedImage } from '../store/images';
import type { LayerCache } from '../store/layer-cache';
import type { Analyzer } from './analyzers/analyzer';
import { summarizeImageConfig } from './image-config';
import { analyzeLayer, type LayerAnalysis } from './layer-analysis';
import { mergeLayers } from './merge-layers';

const MAX_CONFIG_BYTES = 8 * 1024 * 1024;

export interface LayerProgress {
  index: number;
  total: number;
  digest: string;
  received: number;
  size: number;
  cached: boolean;
}

export interface ScanDependencies {
  client: RegistryClient;
  images: ImageStore;
  layers: LayerCache;
  analyzers: readonly Analyzer[];
  /** Identifies the analyzer set; an inventory or layer analysed by another set is redone. */
  analyzerVersion: string;
  platform: Platform;
  maxLayerBytes: number;
  maxFileBytes: number;
  timeoutMs: number;
  /** Layers of one image downloaded at once. */
  layerConcurrency?: number;
  onLayerProgress?: (p: LayerProgress) => void;
  /** The source (and OpenShift namespace) the image was found in, stored with its images row. */
  foundIn?: { source?: string; namespace?: string };
}

export interface ScanOutcome {
  image: IndexedImage;
  inventory: Inventory;
  /** True when the manifest was indexed before and nothing but the manifest was fetched. */
  reused: boolean;
  layersDownloaded: number;
  blobBytes: number;
}

/**
 * What decides whether a scan of given bytes succeeds: the analyzers and the size limits. A
 * digest that failed on its bytes fails again under the same settings, and may not under others.
 */
export function scannerSettings(settings: Pick<ScanDependencies, 'analyzerVersion' | 'maxLayerBytes' | 'maxFileBytes'>): string {
  return `${settings.analyzerVersion};maxLayerBytes=${settings.maxLayerBytes};maxFileBytes=${settings.maxFileBytes}`;
}

/**
 * Indexes one image reference: resolves its manifest for the platform, and unless that manifest
 * digest is already indexed by the current analyzers, reads its config and every layer not in
 * the layer cache. The outcome is stored in one transaction; a failure is stored as a failure
 * (naming image, layer and file) and rethrown, never turned into an empty inventory.
 */
export async function indexImage(ref: ImageReference, deps: ScanDependencies): Promise<ScanOutcome> {
  const imageName = formatReference(ref);
  let resolved: ResolvedImage | undefined;
  try {
    const target = await deps.client.resolve(ref, deps.platform);
    resolved = target;
    const image = { ...indexedImage(ref, target), ...deps.foundIn };
    if (deps.images.hasInventory(target.manifestDigest, deps.analyzerVersion)) {
      deps.images.saveScan(image, deps.analyzerVersion, undefined);
      return { image, inventory: deps.images.getInventory(target.manifestDigest)!, reused: true, layersDownloaded: 0, blobBytes: 0 };
    }
    const { inventory, layersDownloaded, blobBytes } = await withTimeout(deps.timeoutMs, imageName, (streams) =>
      readInventory(ref, target, deps, streams),
    );
    deps.images.saveScan(image, deps.analyzerVersion, inventory);
    return { image, inventory, reused: false, layersDownloaded, blobBytes };
  } catch (e) {
    const error = withImage(e, imageName, ref.registry).withContext(resolved ? { digest: resolved.manifestDigest } : {});
    deps.images.saveFailure({
      registry: ref.registry,
      repository: ref.repository,
      tag: ref.tag,
      digest: resolved?.manifestDigest,
      indexDigest: resolved?.indexDigest,
      platform: resolved?.platform ? platformName(resolved.platform) : undefined,
      kind: error.kind,
      message: error.describe(),
      layer: error.context.layer,
      file: error.context.file,
      scanner: scannerSettings(deps),
      ...deps.foundIn,
    });
    throw error;
  }
}

async function readInventory(
  ref: ImageReference,
  resolved: ResolvedImage,
  deps: ScanDependencies,
  streams: Set<Readable>,
): Promise<{ inventory: Inventory; layersDownloaded: number; blobBytes: number }> {
  const context = { image: formatReference(ref), registry: ref.registry };
  const configBody = await deps.client.getBlob(ref.repository, resolved.config, MAX_CONFIG_BYTES);
  const config = summarizeImageConfig(configBody, context);
  let blobBytes = configBody.length;
  let layersDownloaded = 0;

  const total = resolved.layers.length;
  const analyses: LayerAnalysis[] = new Array(total);
  let next = 0;
  const worker = async () => {
    while (next < total) {
      const index = next++;
      const layer = resolved.layers[index];
      const cached = deps.layers.get(layer.digest, deps.analyzerVersion);
      if (cached) {
        analyses[index] = cached;
        deps.onLayerProgress?.({ index, total, digest: layer.digest, received: layer.size, size: layer.size, cached: true });
        continue;
      }
      analyses[index] = await readLayer(ref, layer, index, total, deps, streams);
      deps.layers.put(layer.digest, deps.analyzerVersion, layer.size, analyses[index]);
      layersDownloaded++;
      blobBytes += layer.size;
    }
  };
  await Promise.all(Array.from({ length: Math.min(total, deps.layerConcurrency ?? 2) }, worker));

  const merged = mergeLayers(resolved.layers.map((l, i) => ({ digest: l.digest, analysis: analyses[i] })));
  return { inventory: { ...merged, config }, layersDownloaded, blobBytes };
}

async function readLayer(
  ref: ImageReference,
  layer: Descriptor,
  index: number,
  total: number,
  deps: ScanDependencies,
  streams: Set<Readable>,
): Promise<LayerAnalysis> {
  if (layer.size > deps.maxLayerBytes) {
    throw new LayerError(`layer is ${formatBytes(layer.size)}, over the ${formatBytes(deps.maxLayerBytes)} limit (scan.maxLayerBytes)`, {
      layer: layer.digest,
    });
  }
  const blob = (await deps.client.openBlob(ref.repository, layer)) as Readable;
  streams.add(blob);
  let received = 0;
  const onBlobBytes = deps.onLayerProgress
    ? (n: number) => {
        received += n;
        deps.onLayerProgress!({ index, total, digest: layer.digest, received, size: layer.size, cached: false });
      }
    : undefined;
  try {
    return await analyzeLayer(blob, { analyzers: deps.analyzers, maxFileBytes: deps.maxFileBytes, onBlobBytes });
  } catch (e) {
    throw e instanceof ImagewardenError ? e.withContext({ layer: layer.digest }) : new LayerError(messageOf(e), { layer: layer.digest }, { cause: e });
  } finally {
    streams.delete(blob);
  }
}

/** Bounds a whole image scan; on expiry the open blob streams are destroyed so nothing lingers. */
async function withTimeout<T>(ms: number, image: string, run: (streams: Set<Readable>) => Promise<T>): Promise<T> {
  const streams = new Set<Readable>();
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const error = new RegistryError('registry-timeout', `scan did not finish within ${Math.round(ms / 1000)} s (scan.timeoutSeconds)`, { image });
      for (const s of streams) s.destroy(error);
      reject(error);
    }, ms);
  });
  try {
    return await Promise.race([run(streams), expired]);
  } finally {
    clearTimeout(timer);
  }
}

function indexedImage(ref: ImageReference, resolved: ResolvedImage): IndexedImage {
  return {
    registry: ref.registry,
    repository: ref.repository,
    tag: ref.tag,
    digest: resolved.manifestDigest,
    indexDigest: resolved.indexDigest,
    mediaType: resolved.mediaType,
    platform: resolved.platform ? platformName(resolved.platform) : undefined,
    configDigest: resolved.config.digest,
  };
}

export function platformName(p: Platform): string {
  return [p.os, p.architecture, p.variant].filter(Boolean).join('/');
}

function withImage(e: unknown, image: string, registry: string): ImagewardenError {
  if (e instanceof ImagewardenError) return e.withContext({ image, registry });
  return new LayerError(messageOf(e), { image, registry }, { cause: e });
}
