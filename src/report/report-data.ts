import type { Config } from '../config/schema';
import { ConfigError } from '../errors';
import type { FailedPolicy, VerdictCause, VerdictState } from '../policy/verdict';
import type { Db } from '../store/database';
import { ReportQueries, type AuditRow, type ScanErrorRow, type Sighting, type VerdictAsOf, type VulnerabilityCount } from '../store/report-data';
import { snapshots, type ComplianceSnapshot } from '../store/snapshots';
import { previousDay, reportDay } from './report-day';

/** Days drawn by the trend chart, ending with the report's day. */
export const TREND_DAYS = 30;
const TOP_VULNERABILITIES = 25;
const HOUR = 3_600_000;

export interface StateCounts {
  images: number;
  compliant: number;
  nonCompliant: number;
  unknown: number;
}

export interface GroupCounts extends StateCounts {
  /** Null for images found by `check` rather than a configured source. */
  source: string | null;
  namespace: string | null;
}

export interface TrendDay {
  day: string;
  /** Null when no snapshot was taken that day: a gap, not zeros. */
  snapshot: StateCounts | null;
}

export interface SeverityCounts {
  critical: number;
  high: number;
  medium: number;
  low: number;
}

export interface ImageDetail {
  digest: string;
  references: string[];
  /** Each reference with the source and namespace it was found in. */
  sightings: { reference: string; source: string | null; namespace: string | null }[];
  /** Where it was found: "source/namespace" labels. */
  locations: string[];
  verdict: VerdictState;
  failedPolicies: string[];
  /** "Policy: violation" lines, the first few; null on a replayed day (only names are kept). */
  violations: string[] | null;
  /** Violations beyond those listed. */
  moreViolations: number;
  /** Null when not known: no feed covered the image, or a replayed day (counts are kept only for now). */
  counts: SeverityCounts | null;
  /** Why an `unknown` image could not be assessed. */
  reason: string | null;
}

export interface ChangedImage {
  digest: string;
  references: string[];
  from: VerdictState | null;
  to: VerdictState;
  cause: VerdictCause;
  failedPolicies: string[];
}

export interface PolicyFailure {
  name: string;
  /** Null for a policy only a replayed day knows, by name. */
  severity: string | null;
  enforcement: string | null;
  description: string | null;
  remediation: string | null;
  images: number;
}

export interface TopVulnerability extends Omit<VulnerabilityCount, 'fixedVersions'> {
  /** The version(s) to upgrade to; null when no fix exists. */
  fixedIn: string | null;
}

export interface FeedStatus {
  name: string;
  format: string;
  importedAt: string;
  ageHours: number;
  stale: boolean;
}

export interface UnknownImage {
  digest: string;
  references: string[];
  reason: string;
}

export interface ReportData {
  title: string;
  day: string;
  timeZone: string;
  generatedAt: string;
  /** The instant the state is shown at: now for today, the end of the day for a past day. */
  asOf: string;
  /** A past day rebuilt from the verdict history rather than read from the current verdicts. */
  replayed: boolean;
  summary: StateCounts;
  groups: GroupCounts[];
  trend: TrendDay[];
  /** What happened in the 24 hours ending at `asOf`. */
  window: { from: string; to: string };
  changes: { newlyNonCompliant: ChangedImage[]; fixed: ChangedImage[]; newImages: ChangedImage[] };
  vulnerabilities: TopVulnerability[];
  policies: PolicyFailure[];
  images: ImageDetail[];
  annotations: { set: AuditRow[]; cleared: AuditRow[]; updated: AuditRow[] };
  scanErrors: ScanErrorRow[];
  unknownImages: UnknownImage[];
  feeds: FeedStatus[];
  staleFeedHours: number;
  staleFeeds: number;
}

/**
 * Everything the report of `day` (YYYY-MM-DD in config.timezone) shows. Today is read from the
 * current verdicts; a past day is the state at its end, replayed from the verdict history, so
 * an archive can be rebuilt and a day compared with another.
 */
export function buildReportData(db: Db, config: Config, day: string, now = new Date()): ReportData {
  const bounds = reportDay(day, config.timezone);
  if (bounds.start.getTime() > now.getTime()) {
    throw new ConfigError(`${day} has not begun yet in ${config.timezone}: a report shows a day that has begun`, { key: '--date' });
  }
  const replayed = bounds.end.getTime() <= now.getTime();
  const asOf = replayed ? bounds.end : now;
  const asOfIso = asOf.toISOString();
  const windowFrom = new Date(asOf.getTime() - 24 * HOUR).toISOString();
  const q = new ReportQueries(db);

  const verdicts = q.verdictsAsOf(replayed ? { now: false, at: asOfIso } : { now: true });
  const sightings = groupBy(q.sightings(asOfIso), (s) => s.digest);
  const images = verdicts.map((v) => imageDetail(v, sightings.get(v.digest) ?? []));
  images.sort((a, b) => STATE_ORDER[a.verdict] - STATE_ORDER[b.verdict] || (a.references[0] ?? a.digest).localeCompare(b.references[0] ?? b.digest));

  const before = new Map(q.verdictsAsOf({ now: false, at: windowFrom }).map((v) => [v.digest, v]));
  const after = new Map(verdicts.map((v) => [v.digest, v]));
  const referencesOf = (digest: string) => (sightings.get(digest) ?? []).map((s) => s.reference);

  const audit = q.auditBetween(windowFrom, asOfIso);
  const feeds = q.feeds().map((f) => {
    const ageHours = Math.max(0, (asOf.getTime() - Date.parse(f.importedAt)) / HOUR);
    return { ...f, ageHours: Math.round(ageHours * 10) / 10, stale: ageHours > config.report.staleFeedHours };
  });

  return {
    title: config.report.title,
    day,
    timeZone: config.timezone,
    generatedAt: now.toISOString(),
    asOf: asOfIso,
    replayed,
    summary: countStates(verdicts),
    groups: groupCounts(verdicts, sightings),
    trend: trend(db, day),
    window: { from: windowFrom, to: asOfIso },
    changes: changesInWindow(q, windowFrom, asOfIso, before, after, referencesOf),
    vulnerabilities: q.topVulnerabilities(verdicts.map((v) => v.digest), asOfIso, TOP_VULNERABILITIES).map(({ fixedVersions, ...v }) => ({
      ...v,
      fixedIn: fixedVersions.length ? fixedVersions.join(', ') : null,
    })),
    policies: policyFailures(verdicts, q),
    images,
    annotations: {
      set: audit.filter((a) => a.action === 'deny'),
      cleared: audit.filter((a) => a.action === 'allow'),
      updated: audit.filter((a) => a.action === 'update'),
    },
    scanErrors: q.scanErrorsBetween(windowFrom, asOfIso),
    unknownImages: images
      .filter((i) => i.verdict === 'unknown')
      .map((i) => ({ digest: i.digest, references: i.references, reason: i.reason ?? 'no reason was recorded' })),
    feeds,
    staleFeedHours: config.report.staleFeedHours,
    staleFeeds: feeds.filter((f) => f.stale).length,
  };
}

const STATE_ORDER: Record<VerdictState, number> = { 'non-compliant': 0, unknown: 1, compliant: 2 };

const VIOLATIONS_PER_IMAGE = 10;

function imageDetail(v: VerdictAsOf, seen: Sighting[]): ImageDetail {
  const lastError = seen.find((s) => s.lastError !== null)?.lastError ?? null;
  const violations = v.failedPolicies?.flatMap((p) => p.violations.map((m) => `${p.name}: ${m}`)) ?? null;
  return {
    digest: v.digest,
    references: seen.map((s) => s.reference),
    sightings: seen.map(({ reference, source, namespace }) => ({ reference, source, namespace })),
    locations: [...new Set(seen.filter((s) => s.source !== null).map((s) => (s.namespace ? `${s.source}/${s.namespace}` : s.source!)))],
    verdict: v.state,
    failedPolicies: v.failed,
    violations: violations && violations.slice(0, VIOLATIONS_PER_IMAGE),
    moreViolations: violations ? Math.max(0, violations.length - VIOLATIONS_PER_IMAGE) : 0,
    counts: v.summary && { critical: v.summary.Critical, high: v.summary.High, medium: v.summary.Medium, low: v.summary.Low },
    reason: v.state === 'unknown' ? (v.reason ?? lastError) : null,
  };
}

function countStates(verdicts: readonly { state: VerdictState }[]): StateCounts {
  const c: StateCounts = { images: verdicts.length, compliant: 0, nonCompliant: 0, unknown: 0 };
  for (const v of verdicts) {
    if (v.state === 'compliant') c.compliant++;
    else if (v.state === 'non-compliant') c.nonCompliant++;
    else c.unknown++;
  }
  return c;
}

/** Per source and namespace, each digest counted once per place it was found. */
function groupCounts(verdicts: readonly VerdictAsOf[], sightings: Map<string, Sighting[]>): GroupCounts[] {
  const groups = new Map<string, { source: string | null; namespace: string | null; verdicts: VerdictAsOf[] }>();
  for (const v of verdicts) {
    const places = new Map<string, { source: string | null; namespace: string | null }>();
    for (const s of sightings.get(v.digest) ?? [{ source: null, namespace: null }]) places.set(`${s.source}\0${s.namespace}`, s);
    for (const [key, place] of places) {
      const group = groups.get(key) ?? { ...place, verdicts: [] };
      group.verdicts.push(v);
      groups.set(key, group);
    }
  }
  return [...groups.values()]
    .map((g) => ({ source: g.source, namespace: g.namespace, ...countStates(g.verdicts) }))
    .sort((a, b) => (a.source ?? '').localeCompare(b.source ?? '') || (a.namespace ?? '').localeCompare(b.namespace ?? ''));
}

function trend(db: Db, day: string): TrendDay[] {
  const from = previousDay(day, TREND_DAYS - 1);
  const byDay = new Map<string, ComplianceSnapshot>(snapshots(db, from, day).map((s) => [s.day, s]));
  return Array.from({ length: TREND_DAYS }, (_, i) => {
    const d = previousDay(day, TREND_DAYS - 1 - i);
    const s = byDay.get(d);
    return { day: d, snapshot: s ? { images: s.images, compliant: s.compliant, nonCompliant: s.nonCompliant, unknown: s.unknown } : null };
  });
}

/**
 * The net change over the window per digest (its state at the start against its state at the
 * end), so an image that flapped and came back is not reported; the cause is the last change's.
 */
function changesInWindow(
  q: ReportQueries,
  from: string,
  to: string,
  before: Map<string, VerdictAsOf>,
  after: Map<string, VerdictAsOf>,
  referencesOf: (digest: string) => string[],
): ReportData['changes'] {
  const lastCause = new Map<string, VerdictCause>();
  for (const c of q.changesBetween(from, to)) lastCause.set(c.digest, c.cause);
  const changes: ReportData['changes'] = { newlyNonCompliant: [], fixed: [], newImages: [] };
  for (const [digest, cause] of lastCause) {
    const now = after.get(digest);
    if (!now) continue;
    const was = before.get(digest)?.state ?? null;
    const entry: ChangedImage = { digest, references: referencesOf(digest), from: was, to: now.state, cause, failedPolicies: now.failed };
    if (was === null) changes.newImages.push(entry);
    if (now.state === 'non-compliant' && was !== 'non-compliant') changes.newlyNonCompliant.push(entry);
    if (now.state === 'compliant' && was === 'non-compliant') changes.fixed.push(entry);
  }
  return changes;
}

function policyFailures(verdicts: readonly VerdictAsOf[], q: ReportQueries): PolicyFailure[] {
  const catalog = verdicts.some((v) => v.failedPolicies === null) ? q.policyCatalog() : new Map<string, FailedPolicy>();
  const byName = new Map<string, PolicyFailure>();
  for (const v of verdicts) {
    for (const name of new Set(v.failed)) {
      const known = v.failedPolicies?.find((p) => p.name === name) ?? catalog.get(name);
      const entry = byName.get(name) ?? {
        name,
        severity: known?.severity ?? null,
        enforcement: known?.enforcement ?? null,
        description: known?.description ?? null,
        remediation: known?.remediation ?? null,
        images: 0,
      };
      entry.images++;
      byName.set(name, entry);
    }
  }
  return [...byName.values()].sort((a, b) => b.images - a.images || a.name.localeCompare(b.name));
}

function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const map = new Map<string, T[]>();
  for (const item of items) {
    const list = map.get(key(item));
    if (list) list.push(item);
    else map.set(key(item), [item]);
  }
  return map;
}
