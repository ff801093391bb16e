import type { Ecosystem, Inventory, Package } from '../inventory/types';
import type { Advisory, AdvisoryState, Severity } from './advisory';
import { namespacesFor } from './os-namespaces';
import { schemeFor } from './versions';

export interface Finding {
  advisoryId: string;
  aliases: string[];
  /** The installed (binary) package. */
  package: string;
  /** The name the advisory is filed under when it differs (dpkg source, apk origin). */
  advisoryPackage: string;
  installed: string;
  fixedVersion?: string;
  state: Exclude<AdvisoryState, 'not-affected'>;
  severity: Severity;
  vendorSeverity?: string;
  feed: string;
  namespace: string;
  title?: string;
}

export interface MatchResult {
  /** The namespaces the image's OS maps to. */
  namespaces: string[];
  /**
   * Whether any imported feed covers one of those namespaces. When false, "no findings" means
   * "nothing was checked", and is reported as such.
   */
  covered: boolean;
  findings: Finding[];
}

/** Advisories by namespace, ecosystem and package name, loaded once per match run. */
export class AdvisoryIndex {
  private readonly byKey = new Map<string, Advisory[]>();
  private readonly namespaces = new Set<string>();

  constructor(advisories: Iterable<Advisory>, coveredNamespaces: Iterable<string> = []) {
    for (const ns of coveredNamespaces) this.namespaces.add(ns);
    for (const a of advisories) {
      this.namespaces.add(a.namespace);
      const key = indexKey(a.namespace, a.ecosystem, a.package);
      const list = this.byKey.get(key);
      if (list) list.push(a);
      else this.byKey.set(key, [a]);
    }
  }

  covers(namespace: string): boolean {
    return this.namespaces.has(namespace);
  }

  lookup(namespace: string, ecosystem: Ecosystem, name: string): readonly Advisory[] {
    return this.byKey.get(indexKey(namespace, ecosystem, name)) ?? [];
  }
}

function indexKey(namespace: string, ecosystem: Ecosystem, name: string): string {
  return `${namespace}\0${ecosystem}\0${name}`;
}

/**
 * Matches one inventory against the index: dpkg packages by source package and source version
 * (Debian and Ubuntu file advisories under the source), apk by origin, rpm by name with the full
 * epoch-aware EVR. Unfixed and will-not-fix advisories are kept apart from fixable ones.
 */
export function matchInventory(inventory: Pick<Inventory, 'os' | 'packages'>, index: AdvisoryIndex): MatchResult {
  const namespaces = namespacesFor(inventory.os);
  const covered = namespaces.some((ns) => index.covers(ns));
  const findings: Finding[] = [];
  const seen = new Set<string>();
  for (const ns of namespaces) {
    for (const pkg of inventory.packages) {
      const { name, version } = advisoryIdentity(pkg);
      for (const advisory of index.lookup(ns, pkg.ecosystem, name)) {
        if (advisory.state === 'not-affected') continue;
        const hit = affects(advisory, pkg, version);
        if (!hit) continue;
        // One feed may file the same fix under an RHSA and its CVEs, or two feeds may agree: one finding per advisory id.
        const key = `${advisory.id}\0${pkg.name}\0${pkg.version}`;
        if (seen.has(key)) continue;
        seen.add(key);
        findings.push({
          advisoryId: advisory.id,
          aliases: advisory.aliases,
          package: pkg.name,
          advisoryPackage: advisory.package,
          installed: pkg.version,
          ...(hit.fixedVersion !== undefined && { fixedVersion: hit.fixedVersion }),
          state: advisory.state,
          severity: advisory.severity,
          ...(advisory.vendorSeverity !== undefined && { vendorSeverity: advisory.vendorSeverity }),
          feed: advisory.feed,
          namespace: ns,
          ...(advisory.title !== undefined && { title: advisory.title }),
        });
      }
    }
  }
  findings.sort((a, b) => SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity] || a.package.localeCompare(b.package) || a.advisoryId.localeCompare(b.advisoryId));
  return { namespaces, covered, findings };
}

export const SEVERITY_RANK: Record<Severity, number> = { Critical: 0, High: 1, Medium: 2, Low: 3, Unknown: 4 };

/** The name and version an advisory about this package is written against. */
function advisoryIdentity(pkg: Package): { name: string; version: string } {
  if (pkg.ecosystem === 'dpkg') return { name: pkg.source ?? pkg.name, version: pkg.sourceVersion ?? pkg.version };
  if (pkg.ecosystem === 'apk') return { name: pkg.source ?? pkg.name, version: pkg.version };
  return { name: pkg.name, version: pkg.version };
}

/** Whether the advisory applies to this installed version, and then which version fixes it. */
function affects(advisory: Advisory, pkg: Package, version: string): false | { fixedVersion?: string } {
  if (!conditionsMet(advisory, pkg)) return false;
  const scheme = schemeFor(advisory.ecosystem);
  const fixed = advisory.state === 'fixed' ? advisory.fixedVersion : undefined;
  if (advisory.ranges?.length) {
    const range = advisory.ranges.find((r) => inRange(r, version, scheme.compare));
    if (range) return { fixedVersion: range.fixed ?? fixed };
  }
  if (advisory.versions?.some((v) => scheme.compare(v, version) === 0)) return { fixedVersion: fixed };
  if (advisory.ranges?.length || advisory.versions?.length) return false;
  if (advisory.state === 'fixed') return fixed !== undefined && scheme.compare(version, fixed) < 0 ? { fixedVersion: fixed } : false;
  // unfixed and will-not-fix without versions: every installed version is affected.
  return {};
}

function inRange(r: NonNullable<Advisory['ranges']>[number], version: string, compare: (a: string, b: string) => number): boolean {
  if (r.introduced !== undefined && r.introduced !== '0' && compare(version, r.introduced) < 0) return false;
  if (r.fixed !== undefined) return compare(version, r.fixed) < 0;
  if (r.lastAffected !== undefined) return compare(version, r.lastAffected) <= 0;
  return true;
}

/**
 * Requirements beyond versions (Red Hat OVAL: signed with Red Hat's key, a module stream
 * enabled). Unknown facts count as not met, as OpenSCAP evaluates them on such an image.
 */
function conditionsMet(advisory: Advisory, pkg: Package): boolean {
  const c = (advisory as Advisory & { conditions?: { signedBy?: string[]; moduleStream?: string } }).conditions;
  if (!c) return true;
  if (c.moduleStream !== undefined) return false;
  if (c.signedBy?.length) {
    const key = (pkg as Package & { signatureKeyId?: string }).signatureKeyId;
    if (!key || !c.signedBy.some((k) => k.toLowerCase().endsWith(key.toLowerCase()) || key.toLowerCase().endsWith(k.toLowerCase()))) return false;
  }
  return true;
}
