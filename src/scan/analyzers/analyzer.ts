import type { Ecosystem, OsInfo, Package } from '../../inventory/types';

/** A file a layer carried that some analyzer asked for, read whole (within the size cap). */
export interface LayerFile {
  /** Normalized path: no leading `/` or `./`, no `..`, `/`-separated. */
  path: string;
  data: Buffer;
}

/**
 * What one analyzer found in one file. Must be plain JSON: it is cached per layer digest and
 * analyzer version, so a layer seen before is never downloaded again.
 */
export interface FileFindings {
  /** Set by release-file analyzers; the lowest rank wins when several files survive. */
  os?: OsInfo & { rank: number };
  /** Set by package-database analyzers, even when the database is empty. */
  packageDb?: { ecosystem: Ecosystem; format: string; packages: Package[] };
}

/**
 * One analyzer: decides which paths it needs and turns one such file into findings.
 * `parse` throws AnalyzerError for a file that is present but unreadable: a garbage database
 * must fail the scan, never read as an empty one.
 */
export interface Analyzer {
  readonly name: string;
  /** Bumped whenever the findings for the same bytes would change. */
  readonly version: number;
  wants(path: string): boolean;
  parse(file: LayerFile): FileFindings;
}
