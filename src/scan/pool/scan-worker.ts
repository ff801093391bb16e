import { workerData } from 'piscina';
import { ImagewardenError, messageOf } from '../../errors';
import { RegistryClient } from '../../registry/client';
import { parsePlatform } from '../../registry/platform';
import type { RegistryHostConfig } from '../../registry/types';
import { openDatabase, type Db } from '../../store/database';
import { ImageStore } from '../../store/images';
import { LayerCache } from '../../store/layer-cache';
import { analyzers, analyzerVersion } from '../analyzers';
import { indexImage, type ScanDependencies } from '../scan-image';
import type { ScanTask, ScanTaskOutcome, ScanWorkerSettings } from './scan-task';

/**
 * Worker-thread entry of the scan pool. Each thread has its own SQLite connection to the same
 * WAL database (a connection cannot cross threads) and one registry client per host, so a
 * host's tokens and rate limit are shared by the scans of this thread.
 */
const settings = workerData as ScanWorkerSettings;
const platform = parsePlatform(settings.platform);
const version = analyzerVersion();
const clients = new Map<string, RegistryClient>();
let store: { db: Db; images: ImageStore; layers: LayerCache } | undefined;

function openStore(): NonNullable<typeof store> {
  if (!store) {
    const db = openDatabase(settings.database);
    store = { db, images: new ImageStore(db), layers: new LayerCache(db) };
  }
  return store;
}

/**
 * Every thread limits its own requests, so a host's `requestsPerSecond` is divided among the
 * threads: the sum stays at the configured rate when all threads are busy on one host, and a
 * thread alone on a host gets only its share (the price of not coordinating across threads).
 */
function clientFor(host: RegistryHostConfig): RegistryClient {
  const key = JSON.stringify(host);
  let client = clients.get(key);
  if (!client) {
    const share = host.requestsPerSecond === undefined ? {} : { requestsPerSecond: host.requestsPerSecond / settings.threads };
    client = new RegistryClient({ ...host, ...share }, { timeoutMs: 60_000 });
    clients.set(key, client);
  }
  return client;
}

export async function scanTask(task: ScanTask): Promise<ScanTaskOutcome> {
  try {
    const { images, layers } = openStore();
    const deps: ScanDependencies = {
      client: clientFor(task.registry),
      images,
      layers,
      analyzers,
      analyzerVersion: version,
      platform,
      maxLayerBytes: settings.maxLayerBytes,
      maxFileBytes: settings.maxFileBytes,
      timeoutMs: settings.timeoutMs,
      foundIn: task.foundIn,
    };
    const outcome = await indexImage(task.reference, deps);
    return {
      ok: true,
      digest: outcome.image.digest,
      reused: outcome.reused,
      layersDownloaded: outcome.layersDownloaded,
      blobBytes: outcome.blobBytes,
      packages: outcome.inventory.packages.length,
    };
  } catch (e) {
    // Errors are returned as data: a class instance would arrive on the main thread as a plain
    // Error without its kind and context.
    if (e instanceof ImagewardenError) return { ok: false, kind: e.kind, message: e.describe(), context: e.context };
    return { ok: false, kind: 'layer', message: messageOf(e), context: { image: `${task.reference.registry}/${task.reference.repository}` } };
  }
}
