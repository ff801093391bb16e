import type { Db } from './database';

export type EnforcementAction = 'deny' | 'allow' | 'update';
export type EnforcementOutcome = 'applied' | 'dry-run' | 'failed';

/** The annotations imagewarden owns on one Image object, as it last set them. */
export interface AppliedAnnotations {
  source: string;
  imageName: string;
  deny: boolean;
  annotations: Record<string, string>;
  patchedAt: string;
}

export interface AuditEntry {
  at: string;
  source: string;
  imageName: string;
  action: EnforcementAction;
  dryRun: boolean;
  /** The merge patch sent (or, for a dry run, that would have been sent). */
  patch: unknown;
  outcome: EnforcementOutcome;
  message?: string;
}

interface AnnotationRow {
  source: string;
  image_name: string;
  deny: number;
  annotations: string;
  patched_at: string;
}

interface AuditRow {
  at: string;
  source: string;
  image_name: string;
  action: EnforcementAction;
  dry_run: number;
  patch: string;
  outcome: EnforcementOutcome;
  message: string | null;
}

/** The annotations last set per (source, Image) and the audit of every enforcement change. */
export class EnforcementStore {
  constructor(private readonly db: Db) {}

  lastApplied(source: string, imageName: string): AppliedAnnotations | undefined {
    const row = this.db.prepare<[string, string], AnnotationRow>('SELECT * FROM annotations WHERE source = ? AND image_name = ?').get(source, imageName);
    return row && { source: row.source, imageName: row.image_name, deny: row.deny === 1, annotations: JSON.parse(row.annotations) as Record<string, string>, patchedAt: row.patched_at };
  }

  /** Records what the Image carries now; `audit`, when given, is written in the same transaction. */
  recordApplied(applied: AppliedAnnotations, audit?: AuditEntry): void {
    this.db.transaction(() => {
      this.db
        .prepare(
          `INSERT INTO annotations (source, image_name, deny, annotations, patched_at) VALUES (?, ?, ?, ?, ?)
           ON CONFLICT (source, image_name) DO UPDATE SET deny = excluded.deny, annotations = excluded.annotations, patched_at = excluded.patched_at`,
        )
        .run(applied.source, applied.imageName, applied.deny ? 1 : 0, JSON.stringify(applied.annotations), applied.patchedAt);
      if (audit) this.audit(audit);
    })();
  }

  audit(entry: AuditEntry): void {
    this.db
      .prepare('INSERT INTO enforcement_audit (at, source, image_name, action, dry_run, patch, outcome, message) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
      .run(entry.at, entry.source, entry.imageName, entry.action, entry.dryRun ? 1 : 0, JSON.stringify(entry.patch), entry.outcome, entry.message ?? null);
  }

  /** Audit entries at or after `iso`, oldest first: the report's "enforcement changes" section. */
  auditSince(iso: string): AuditEntry[] {
    return this.db
      .prepare<[string], AuditRow>('SELECT * FROM enforcement_audit WHERE at >= ? ORDER BY at, id')
      .all(iso)
      .map((r) => ({
        at: r.at,
        source: r.source,
        imageName: r.image_name,
        action: r.action,
        dryRun: r.dry_run === 1,
        patch: JSON.parse(r.patch) as unknown,
        outcome: r.outcome,
        ...(r.message !== null && { message: r.message }),
      }));
  }
}
