import type { ErrorKind } from '../../src/errors';
import type { Ecosystem } from '../../src/inventory/types';
import type { ImageConfigSpec } from './image-config';
import type { Compression } from './layer';
import type { LayerEntry } from './layer-entries';
import type { ManifestFormat, Platform } from './manifest';

/** Which of the global-setup registries an image is pushed to. */
export type RegistryRole = 'open' | 'htpasswd' | 'token';

/** Where a file's bytes come from; fixture paths are relative to test/fixtures. */
export type RecipeContent =
  | { fixture: string }
  | { text: string }
  | { junk: { seed: string; bytes: number } };

export type RecipeEntry =
  | { type: 'file'; path: string; content: RecipeContent; mode?: number }
  /** Distroless layout: one file per stanza of a dpkg status fixture, named after its package. */
  | { type: 'dpkg-status-d'; dir: string; fixture: string }
  | Exclude<LayerEntry, { type: 'file' }>;

export interface RecipeLayer {
  compression: Compression;
  entries: RecipeEntry[];
  /** Replace the compressed blob by a gzip header followed by junk (diff_id stays the tar's). */
  corrupt?: 'gzip-garbage';
}

export interface ImageRecipe {
  config: ImageConfigSpec;
  layers: RecipeLayer[];
}

/** What a correct scan of the image must report. */
export interface ExpectedScan {
  os: { id: string; version: string } | null;
  /** The package database that survives in the merged filesystem, or null when none does. */
  packages: {
    ecosystem: Ecosystem;
    /** Path inside the image (`dir/*` for one-file-per-package layouts). */
    path: string;
    /** The fixture the database came from (for archives: the archive). */
    fixture: string;
    count: number;
    /** One package the scan must list, with its version exactly as the database writes it. */
    sample: { name: string; version: string };
  } | null;
  /** Set when the scan must fail, with the error kind it must fail with. */
  failure?: Extract<ErrorKind, 'layer' | 'analyzer'>;
  config?: { user?: string; labels?: Record<string, string> };
}

interface RecipeBase {
  /** Stable name tests look images up by. */
  id: string;
  description: string;
  repository: string;
  tags: string[];
  registries: RegistryRole[];
  /** For a multi-arch image: what scanning the linux/amd64 entry yields. */
  expected: ExpectedScan;
}

export interface BuiltImageRecipe extends RecipeBase {
  kind: 'built';
  format: ManifestFormat;
  image: ImageRecipe;
}

export interface MultiArchRecipe extends RecipeBase {
  kind: 'multi-arch';
  format: ManifestFormat;
  platforms: Array<{ platform: Platform; image: ImageRecipe; expected: ExpectedScan }>;
}

export interface ArchiveRecipe extends RecipeBase {
  kind: 'docker-archive' | 'oci-layout';
  /** Relative to test/fixtures/images. */
  archive: string;
}

export type FixtureImageRecipe = BuiltImageRecipe | MultiArchRecipe | ArchiveRecipe;
