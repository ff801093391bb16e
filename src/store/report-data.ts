import type { FailedPolicy, SeveritySummary, VerdictState } from '../policy/verdict';
import type { Severity } from '../vuln/advisory';
import type { Db } from './database';
import { VerdictStore, type VerdictChange } from './verdicts';

/** A digest's verdict at some instant: the stored one, or one replayed from the change history. */
export interface VerdictAsOf {
  digest: string;
  state: VerdictState;
  /** Failed policy names. */
  failed: string[];
  /** Full policy details: only the current verdict keeps them. */
  failedPolicies: FailedPolicy[] | null;
  /** Only the current verdict keeps counts by severity. */
  summary: SeveritySummary | null;
  reason: string | null;
}

/** Where a digest was seen: one row of `images`. */
export interface Sighting {
  digest: string;
  reference: string;
  source: string | null;
  namespace: string | null;
  scanStatus: 'scanned' | 'failed';
  lastError: string | null;
}

export interface VulnerabilityCount {
  advisoryId: string;
  package: string;
  severity: Severity;
  images: number;
  /** Distinct fixed versions across the affected images, when a fix exists. */
  fixedVersions: string[];
}

export interface AuditRow {
  at: string;
  source: string;
  imageName: string;
  action: 'deny' | 'allow' | 'update';
  dryRun: boolean;
  outcome: 'applied' | 'dry-run' | 'failed';
  message: string | null;
}

export interface ScanErrorRow {
  at: string;
  reference: string;
  digest: string | null;
  kind: string;
  message: string;
  layer: string | null;
  file: string | null;
}

export interface FeedAge {
  name: string;
  format: string;
  importedAt: string;
}

/**
 * Which digests were assessed at an instant: the verdicts table holds "now"; for an earlier
 * instant the last change of each digest before it gives its state then.
 */
export type AsOf = { now: true } | { now: false; at: string };

const SEVERITY_ORDER = `CASE severity WHEN 'Critical' THEN 4 WHEN 'High' THEN 3 WHEN 'Medium' THEN 2 WHEN 'Low' THEN 1 ELSE 0 END`;
const SEVERITY_BY_RANK: Severity[] = ['Unknown', 'Low', 'Medium', 'High', 'Critical'];

/** The read-only queries the daily report is built from. */
export class ReportQueries {
  constructor(private readonly db: Db) {}

  verdictsAsOf(asOf: AsOf): VerdictAsOf[] {
    if (asOf.now) {
      return this.db
        .prepare<[], { digest: string; state: VerdictState; failed_policies: string; summary: string; reason: string | null }>(
          'SELECT digest, state, failed_policies, summary, reason FROM verdicts ORDER BY digest',
        )
        .all()
        .map((r) => {
          const failedPolicies = JSON.parse(r.failed_policies) as FailedPolicy[];
          return {
            digest: r.digest,
            state: r.state,
            failed: failedPolicies.map((p) => p.name),
            failedPolicies,
            summary: JSON.parse(r.summary) as SeveritySummary | null,
            reason: r.reason,
          };
        });
    }
    return this.db
      .prepare<[string], { digest: string; to_state: VerdictState; detail: string }>(
        `SELECT digest, to_state, detail FROM (
           SELECT digest, to_state, detail, ROW_NUMBER() OVER (PARTITION BY digest ORDER BY at DESC, id DESC) AS n
             FROM verdict_changes WHERE at < ?)
          WHERE n = 1 AND to_state != 'forgotten' ORDER BY digest`,
      )
      .all(asOf.at)
      .map((r) => {
        const detail = JSON.parse(r.detail) as VerdictChange['detail'];
        return { digest: r.digest, state: r.to_state, failed: detail.failedAfter, failedPolicies: null, summary: null, reason: detail.reason ?? null };
      });
  }

  /** Each policy's details as the current verdicts carry them, by name: a replayed day only knows names. */
  policyCatalog(): Map<string, FailedPolicy> {
    const catalog = new Map<string, FailedPolicy>();
    for (const json of this.db.prepare<[], string>('SELECT failed_policies FROM verdicts').pluck().all()) {
      for (const p of JSON.parse(json) as FailedPolicy[]) if (!catalog.has(p.name)) catalog.set(p.name, p);
    }
    return catalog;
  }

  /** Every place a digest was seen before `before` (ISO), one row per registry, repository and tag. */
  sightings(before: string): Sighting[] {
    return this.db
      .prepare<[string], { digest: string; registry: string; repository: string; tag: string; source: string | null; namespace: string | null; scan_status: 'scanned' | 'failed'; last_error: string | null }>(
        `SELECT digest, registry, repository, tag, source, namespace, scan_status, last_error FROM images
          WHERE first_seen < ? ORDER BY registry, repository, tag, digest`,
      )
      .all(before)
      .map((r) => ({
        digest: r.digest,
        reference: `${r.registry}/${r.repository}${r.tag ? `:${r.tag}` : `@${r.digest}`}`,
        source: r.source,
        namespace: r.namespace,
        scanStatus: r.scan_status,
        lastError: r.last_error,
      }));
  }

  /** Verdict changes with `from <= at < to`, oldest first. */
  changesBetween(from: string, to: string): VerdictChange[] {
    return new VerdictStore(this.db).changesBetween(from, to);
  }

  /**
   * The advisories affecting the most of `digests`, counting findings first seen before `before`.
   * Findings that disappeared since are not kept, so a replayed day can only under-count.
   */
  topVulnerabilities(digests: readonly string[], before: string, limit: number): VulnerabilityCount[] {
    if (!digests.length) return [];
    return this.db
      .prepare<[string, string, number], { advisory_id: string; package: string; rank: number; images: number; fixed: string | null }>(
        `SELECT advisory_id, package, max(${SEVERITY_ORDER}) AS rank, count(DISTINCT inventory_digest) AS images,
                json_group_array(DISTINCT fixed_version) FILTER (WHERE fixed_version IS NOT NULL) AS fixed
           FROM findings
          WHERE inventory_digest IN (SELECT value FROM json_each(?)) AND first_seen < ?
          GROUP BY advisory_id, package
          ORDER BY images DESC, rank DESC, advisory_id, package
          LIMIT ?`,
      )
      .all(JSON.stringify(digests), before, limit)
      .map((r) => ({
        advisoryId: r.advisory_id,
        package: r.package,
        severity: SEVERITY_BY_RANK[r.rank],
        images: r.images,
        fixedVersions: r.fixed ? (JSON.parse(r.fixed) as string[]).sort() : [],
      }));
  }

  auditBetween(from: string, to: string): AuditRow[] {
    return this.db
      .prepare<[string, string], { at: string; source: string; image_name: string; action: AuditRow['action']; dry_run: number; outcome: AuditRow['outcome']; message: string | null }>(
        'SELECT at, source, image_name, action, dry_run, outcome, message FROM enforcement_audit WHERE at >= ? AND at < ? ORDER BY at, id',
      )
      .all(from, to)
      .map((r) => ({ at: r.at, source: r.source, imageName: r.image_name, action: r.action, dryRun: r.dry_run !== 0, outcome: r.outcome, message: r.message }));
  }

  scanErrorsBetween(from: string, to: string): ScanErrorRow[] {
    return this.db
      .prepare<[string, string], { occurred_at: string; registry: string; repository: string; tag: string | null; digest: string | null; kind: string; message: string; layer: string | null; file: string | null }>(
        `SELECT occurred_at, registry, repository, tag, digest, kind, message, layer, file FROM scan_errors
          WHERE occurred_at >= ? AND occurred_at < ? ORDER BY occurred_at, id`,
      )
      .all(from, to)
      .map((r) => ({
        at: r.occurred_at,
        reference: `${r.registry}/${r.repository}${r.tag ? `:${r.tag}` : ''}`,
        digest: r.digest,
        kind: r.kind,
        message: r.message,
        layer: r.layer,
        file: r.file,
      }));
  }

  feeds(): FeedAge[] {
    return this.db
      .prepare<[], { name: string; format: string; imported_at: string }>('SELECT name, format, imported_at FROM feeds ORDER BY name')
      .all()
      .map((r) => ({ name: r.name, format: r.format, importedAt: r.imported_at }));
  }
}
