import { loadConfig } from '../config/load';
import type { Config } from '../config/schema';
import { RegistryClient } from '../registry/client';
import { registryHostFor } from '../registry/client';
import type { ImageReference, Platform } from '../registry/types';
import { parsePlatform } from '../registry/platform';
import { analyzers, analyzerVersion } from '../scan/analyzers';
import type { ScanDependencies } from '../scan/scan-image';
import { openDatabase, type Db } from '../store/database';
import { ImageStore } from '../store/images';
import { LayerCache } from '../store/layer-cache';

export interface GlobalOptions {
  config?: string;
  db?: string;
}

/** What every command works with: the validated config and the open store. */
export class CommandContext {
  readonly config: Config;
  private database?: Db;

  constructor(options: GlobalOptions) {
    this.config = loadConfig({ path: options.config }).config;
    if (options.db) this.config.database = options.db;
  }

  get db(): Db {
    this.database ??= openDatabase(this.config.database);
    return this.database;
  }

  platform(override?: string): Platform {
    return parsePlatform(override ?? this.config.scan.platform);
  }

  clientFor(ref: ImageReference): RegistryClient {
    return new RegistryClient(registryHostFor(ref, this.config.registries), { timeoutMs: 60_000 });
  }

  scanDependencies(ref: ImageReference, extra: Partial<ScanDependencies> = {}): ScanDependencies {
    return {
      client: this.clientFor(ref),
      images: new ImageStore(this.db),
      layers: new LayerCache(this.db),
      analyzers,
      analyzerVersion: analyzerVersion(),
      platform: this.platform(),
      maxLayerBytes: this.config.scan.maxLayerBytes,
      maxFileBytes: this.config.scan.maxFileBytes,
      timeoutMs: this.config.scan.timeoutSeconds * 1000,
      ...extra,
    };
  }

  close(): void {
    this.database?.close();
  }
}
