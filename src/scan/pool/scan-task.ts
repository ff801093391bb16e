import type { ErrorContext, ErrorKind } from '../../errors';
import type { ImageReference, RegistryHostConfig } from '../../registry/types';

/** What every scan worker of one pool shares: where the store is and the scan limits. */
export interface ScanWorkerSettings {
  database: string;
  platform: string;
  maxLayerBytes: number;
  maxFileBytes: number;
  timeoutMs: number;
  /** Threads in the pool: each worker takes this share of a host's `requestsPerSecond`. */
  threads: number;
}

/** One image to index, as plain data (it crosses to a worker thread). */
export interface ScanTask {
  reference: ImageReference;
  /** Transport and credentials for the reference's registry host (the source's `registryFor`). */
  registry: RegistryHostConfig;
  /** Stored with the images row, as every other sighting of the sweep is. */
  foundIn: { source: string; namespace?: string };
}

export type ScanTaskOutcome =
  | { ok: true; digest: string; reused: boolean; layersDownloaded: number; blobBytes: number; packages: number }
  | { ok: false; kind: ErrorKind; message: string; context: ErrorContext };
