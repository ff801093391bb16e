import { AnalyzerError, LayerError } from '../errors';
import type { Inventory, OsInfo, Package, PackageDatabase } from '../inventory/types';
import type { FileEntry, LayerAnalysis, LayerEntry } from './layer-analysis';
import { isWithin } from './layer-path';

export interface AnalyzedLayer {
  digest: string;
  analysis: LayerAnalysis;
}

interface Placed {
  layer: string;
  entry: LayerEntry;
}

const MAX_LINK_HOPS = 16;
const RELEASE_ANALYZER = 'os-release';

/**
 * Applies the layers bottom to top as a container runtime would (whiteouts and opaque
 * directories hide what lies below them; a later file replaces an earlier one) and reads the
 * inventory off the files that survive. A surviving file whose analysis failed fails the image:
 * a package database that cannot be read must never look like an image without packages.
 */
export function mergeLayers(layers: readonly AnalyzedLayer[]): Omit<Inventory, 'config'> & { warnings: string[] } {
  const view = new Map<string, Placed>();
  for (const { digest, analysis } of layers) {
    for (const dir of analysis.opaqueDirs) deleteUnder(view, dir, false);
    for (const path of analysis.whiteouts) deleteUnder(view, path, true);
    for (const entry of analysis.entries) view.set(entry.path, { layer: digest, entry });
  }

  const warnings: string[] = [];
  const releaseErrors: (LayerError | AnalyzerError)[] = [];
  let os: (OsInfo & { rank: number }) | null = null;
  const packages = new Map<string, Package>();
  const databases = new Map<string, PackageDatabase>();

  for (const [path, placed] of view) {
    const resolved = resolve(view, placed);
    if ('unresolved' in resolved) {
      warnings.push(`${path} links to ${resolved.unresolved}, which the image does not contain as a readable file`);
      continue;
    }
    const { layer, entry } = resolved;
    if (entry.error) {
      const context = { layer, file: entry.path };
      const error = entry.error.kind === 'layer' ? new LayerError(entry.error.message, context) : new AnalyzerError(entry.error.message, context);
      if (entry.analyzer !== RELEASE_ANALYZER) throw error;
      releaseErrors.push(error);
      continue;
    }
    const findings = entry.findings ?? {};
    if (findings.os && (!os || findings.os.rank < os.rank)) os = findings.os;
    if (findings.packageDb && !databases.has(entry.path)) {
      const db = findings.packageDb;
      databases.set(entry.path, { ecosystem: db.ecosystem, path: entry.path, layer, format: db.format, packages: db.packages.length });
      // Two databases of one ecosystem (a link and its target, a leftover legacy path) list the same packages once.
      for (const p of db.packages) packages.set(`${p.ecosystem}\0${p.name}\0${p.version}\0${p.arch ?? ''}`, p);
    }
  }

  // An odd fallback file (a custom redhat-release, say) is harmless beside a readable
  // os-release; only when no release file could be read at all does the OS stay unknown.
  if (releaseErrors.length) {
    if (!os) throw releaseErrors[0];
    for (const e of releaseErrors) warnings.push(`${e.context.file}: ${e.message} (ignored: the OS was read from another file)`);
  }

  let osInfo: OsInfo | null = null;
  if (os) {
    const { rank: _rank, ...rest } = os;
    osInfo = rest;
  }
  return {
    os: osInfo,
    packages: [...packages.values()].sort((a, b) => a.ecosystem.localeCompare(b.ecosystem) || a.name.localeCompare(b.name) || a.version.localeCompare(b.version)),
    packageDatabases: [...databases.values()].sort((a, b) => a.path.localeCompare(b.path)),
    layers: layers.map((l) => l.digest),
    warnings,
  };
}

function deleteUnder(view: Map<string, Placed>, dir: string, includeSelf: boolean): void {
  for (const path of [...view.keys()]) {
    if (path === dir ? includeSelf : isWithin(path, dir)) view.delete(path);
  }
}

function resolve(view: Map<string, Placed>, start: Placed): { layer: string; entry: FileEntry } | { unresolved: string } {
  let current = start;
  for (let hops = 0; hops < MAX_LINK_HOPS; hops++) {
    if (current.entry.type === 'file') return { layer: current.layer, entry: current.entry };
    const next = view.get(current.entry.target);
    if (!next) return { unresolved: current.entry.target };
    current = next;
  }
  return { unresolved: `${start.entry.path} (more than ${MAX_LINK_HOPS} links)` };
}
