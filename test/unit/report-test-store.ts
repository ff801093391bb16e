import { configSchema, type Config } from '../../src/config/schema';
import type { FailedPolicy, SeveritySummary, VerdictState } from '../../src/policy/verdict';
import { openDatabase, type Db } from '../../src/store/database';
import { VerdictStore } from '../../src/store/verdicts';

/** A store in memory with the real migrations, and helpers that write rows as the jobs would. */
export function memoryStore(): Db {
  return openDatabase(':memory:');
}

export function reportConfig(overrides: Record<string, unknown> = {}): Config {
  return configSchema.parse({ timezone: 'UTC', report: { directory: '/nonexistent-report-dir', title: 'lab', staleFeedHours: 48 }, ...overrides });
}

export function addImage(
  db: Db,
  image: { registry?: string; repository: string; tag?: string; digest: string; source?: string; namespace?: string; seen: string; status?: 'scanned' | 'failed'; error?: string },
): void {
  db.prepare(
    `INSERT INTO images (registry, repository, tag, digest, first_seen, last_seen, scan_status, last_error, source, namespace)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  ).run(image.registry ?? '127.0.0.1:5000', image.repository, image.tag ?? '', image.digest, image.seen, image.seen, image.status ?? 'scanned', image.error ?? null, image.source ?? null, image.namespace ?? null);
}

export function addFinding(
  db: Db,
  digest: string,
  f: { advisoryId: string; package: string; installed?: string; fixed?: string; severity: string; firstSeen: string },
): void {
  db.prepare(
    `INSERT OR IGNORE INTO inventories (digest, analyzer_version, media_type, config_digest, config, layers, package_dbs, warnings, scanned_at)
     VALUES (?, 'test', 'application/vnd.oci.image.manifest.v1+json', 'sha256:c', '{}', '[]', '[]', '[]', ?)`,
  ).run(digest, f.firstSeen);
  db.prepare(
    `INSERT INTO findings (inventory_digest, advisory_id, package, installed, fixed_version, state, severity, feed, first_seen)
     VALUES (?, ?, ?, ?, ?, ?, ?, 'test-feed', ?)`,
  ).run(digest, f.advisoryId, f.package, f.installed ?? '1.0', f.fixed ?? null, f.fixed ? 'fixed' : 'unfixed', f.severity, f.firstSeen);
}

export function policy(name: string, violations: string[] = [`${name} failed`], remediation = `fix ${name}`): FailedPolicy {
  return { name, rule: 'vulnerabilities', severity: 'High', enforcement: 'enforce', description: `${name} description`, rationale: 'because', remediation, violations };
}

export function summary(counts: Partial<SeveritySummary> = {}): SeveritySummary {
  return { Critical: 0, High: 0, Medium: 0, Low: 0, Unknown: 0, fixable: 0, ...counts };
}

export function verdict(
  db: Db,
  digest: string,
  state: VerdictState,
  at: string,
  extra: { failed?: FailedPolicy[]; summary?: SeveritySummary | null; reason?: string } = {},
): void {
  new VerdictStore(db).record(
    {
      digest,
      state,
      failedPolicies: extra.failed ?? [],
      summary: extra.summary === undefined ? summary() : extra.summary,
      ...(extra.reason !== undefined && { reason: extra.reason }),
      inputs: { policies: 'p', findings: `${state}-${at}`, expiredIgnores: [] },
    },
    new Date(at),
  );
}

export const digestOf = (n: number) => `sha256:${n.toString(16).padStart(64, '0')}`;
