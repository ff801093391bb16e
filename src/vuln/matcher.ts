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
  /** The highest CVSS base score the feed gives, for policies with a score threshold. */
  cvss?: number;
  /** When the advisory (for a fixed one: the fix) was published, YYYY-MM-DD or ISO time. */
  published?: string;
}

/** Fixable: the feed names the version that resolves it, so there is something to upgrade to. */
export function isFixable(f: Pick<Finding, 'state' | 'fixedVersion'>): boolean {
  return f.state === 'fixed' && f.fixedVersion !== undefined;
}

/** A vendor's statement that an installed package is not affected: why something is not reported. */
export interface Dismissal {
  advisoryId: string;
  package: string;
  installed: string;
  feed: string;
}

/** An advisory whose fix the installed version already carries: matched, and resolved. */
export interface Resolved {
  advisoryId: string;
  package: string;
  installed: string;
  fixedVersion: string;
  feed: string;
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
  /** Vendor not-affected statements about installed packages, so a verdict can say why it is silent. */
  notAffected: Dismissal[];
  /** With `explain`: advisories about installed packages whose fix is already installed. */
  alreadyFixed?: Resolved[];
}

/** Advisories by namespace, ecosystem and package name, loaded once per match run. */
export class AdvisoryIndex {
  // Nested maps rather than a joined string key: a lookup per installed package per image
  // would otherwise build a string every time.
  private readonly byNamespace = new Map<string, Map<Ecosystem, Map<string, Advisory[]>>>();
  private readonly dismissals = new Map<string, Map<Ecosystem, Map<string, Advisory[]>>>();
  private readonly namespaces = new Set<string>();

  constructor(advisories: Iterable<Advisory>, coveredNamespaces: Iterable<string> = []) {
    for (const ns of coveredNamespaces) this.namespaces.add(ns);
    for (const a of advisories) {
      // Not-affected statements are kept apart: the hot loop never has to skip them.
      const target = a.state === 'not-affected' ? this.dismissals : this.byNamespace;
      let ecosystems = target.get(a.namespace);
      if (!ecosystems) target.set(a.namespace, (ecosystems = new Map()));
      let names = ecosystems.get(a.ecosystem);
      if (!names) ecosystems.set(a.ecosystem, (names = new Map()));
      const list = names.get(a.package);
      if (list) list.push(a);
      else names.set(a.package, [a]);
      this.namespaces.add(a.namespace);
    }
  }

  covers(namespace: string): boolean {
    return this.namespaces.has(namespace);
  }

  /** The advisories that may affect packages of one ecosystem in one namespace, by package name. */
  packages(namespace: string, ecosystem: Ecosystem): ReadonlyMap<string, readonly Advisory[]> | undefined {
    return this.byNamespace.get(namespace)?.get(ecosystem);
  }

  /** The not-affected statements of one namespace and ecosystem, by package name. */
  notAffected(namespace: string, ecosystem: Ecosystem): ReadonlyMap<string, readonly Advisory[]> | undefined {
    return this.dismissals.get(namespace)?.get(ecosystem);
  }
}

/**
 * Matches one inventory against the index: dpkg packages by source package and source version
 * (Debian and Ubuntu file advisories under the source), apk by origin, rpm by name with the full
 * epoch-aware EVR. Unfixed and will-not-fix advisories are kept apart from fixable ones.
 */
export function matchInventory(inventory: Pick<Inventory, 'os' | 'packages'>, index: AdvisoryIndex, options: { explain?: boolean } = {}): MatchResult {
  const namespaces = namespacesFor(inventory.os);
  const covered = namespaces.some((ns) => index.covers(ns));
  const findings: Finding[] = [];
  const seen = new Set<string>();
  const alreadyFixed: Resolved[] | undefined = options.explain ? [] : undefined;
  const consider = (advisory: Advisory, pkg: Package, version: string, ns: string) => {
    const hit = affects(advisory, pkg, version);
    if (!hit) {
      if (alreadyFixed && advisory.state === 'fixed' && advisory.fixedVersion !== undefined && !advisory.ranges?.length && conditionsMet(advisory, pkg)) {
        alreadyFixed.push({ advisoryId: advisory.id, package: pkg.name, installed: pkg.version, fixedVersion: advisory.fixedVersion, feed: advisory.feed });
      }
      return;
    }
    // One feed may file the same fix under an RHSA and its CVEs, or two feeds may agree: one finding per advisory id.
    const key = `${advisory.id}\0${pkg.name}\0${pkg.version}`;
    if (seen.has(key)) return;
    seen.add(key);
    const finding: Finding = {
      advisoryId: advisory.id,
      aliases: advisory.aliases,
      package: pkg.name,
      advisoryPackage: advisory.package,
      installed: pkg.version,
      state: advisory.state as Finding['state'],
      severity: advisory.severity,
      feed: advisory.feed,
      namespace: ns,
    };
    if (hit.fixedVersion !== undefined) finding.fixedVersion = hit.fixedVersion;
    if (advisory.vendorSeverity !== undefined) finding.vendorSeverity = advisory.vendorSeverity;
    if (advisory.title !== undefined) finding.title = advisory.title;
    const score = maxScore(advisory);
    if (score !== undefined) finding.cvss = score;
    if (advisory.published !== undefined) finding.published = advisory.published;
    findings.push(finding);
  };
  const notAffected: Dismissal[] = [];
  for (const ns of namespaces) {
    for (const pkg of inventory.packages) {
      for (const a of index.notAffected(ns, pkg.ecosystem)?.get(advisoryName(pkg)) ?? NONE) {
        notAffected.push({ advisoryId: a.id, package: pkg.name, installed: pkg.version, feed: a.feed });
      }
      const byName = index.packages(ns, pkg.ecosystem);
      if (!byName) continue;
      const version = advisoryVersion(pkg);
      const builtFromSameName = pkg.ecosystem !== 'rpm' || pkg.source === pkg.name;
      for (const advisory of byName.get(advisoryName(pkg)) ?? NONE) {
        // An advisory filed under a source rpm applies to the binaries built from it, not to a namesake.
        if (advisory.conditions?.bySource && !builtFromSameName) continue;
        consider(advisory, pkg, version, ns);
      }
      if (builtFromSameName || pkg.source === undefined) continue;
      // CSAF files rpm fixes under the source rpm: they apply to every binary built from it.
      for (const advisory of byName.get(pkg.source) ?? NONE) {
        if (advisory.conditions?.bySource) consider(advisory, pkg, version, ns);
      }
    }
  }
  findings.sort((a, b) => SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity] || byCodeUnits(a.package, b.package) || byCodeUnits(a.advisoryId, b.advisoryId));
  return alreadyFixed ? { namespaces, covered, findings, notAffected, alreadyFixed } : { namespaces, covered, findings, notAffected };
}

// localeCompare costs microseconds a call; this runs for every finding of every image.
function byCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function maxScore(advisory: Advisory): number | undefined {
  let max: number | undefined;
  for (const c of advisory.cvss ?? []) if (c.score !== undefined && (max === undefined || c.score > max)) max = c.score;
  return max;
}

export const SEVERITY_RANK: Record<Severity, number> = { Critical: 0, High: 1, Medium: 2, Low: 3, Unknown: 4 };

const NONE: readonly Advisory[] = [];

/** The name an advisory about this package is filed under: dpkg source, apk origin, rpm name. */
function advisoryName(pkg: Package): string {
  return pkg.ecosystem === 'rpm' ? pkg.name : (pkg.source ?? pkg.name);
}

/** The version such an advisory is written against: dpkg advisories speak of source versions. */
function advisoryVersion(pkg: Package): string {
  return pkg.ecosystem === 'dpkg' ? (pkg.sourceVersion ?? pkg.version) : pkg.version;
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
 * Requirements beyond versions (Red Hat OVAL: signed with Red Hat's key, an architecture, a
 * module stream enabled, a running kernel). Facts an image cannot show count as not met, as
 * OpenSCAP evaluates them on such an image.
 */
function conditionsMet(advisory: Advisory, pkg: Package): boolean {
  const c = advisory.conditions;
  if (!c) return true;
  if (c.moduleStream !== undefined || c.kernelBefore !== undefined) return false;
  if (c.signedBy?.length && (!pkg.signatureKeyId || !c.signedBy.includes(pkg.signatureKeyId))) return false;
  if (c.arch?.length && (!pkg.arch || !c.arch.includes(pkg.arch))) return false;
  return true;
}
