import { causeOf, type FailedPolicy, type SeveritySummary, type Verdict, type VerdictCause, type VerdictInputs, type VerdictState } from '../policy/verdict';
import type { Db } from './database';

export interface StoredVerdict extends Verdict {
  evaluatedAt: string;
  /** When the state or the set of failed policies last changed. */
  changedAt: string;
}

export interface VerdictChange {
  digest: string;
  at: string;
  from: VerdictState | null;
  /** `forgotten`: no tag points at the digest any more; it left the counts. */
  to: VerdictState | 'forgotten';
  cause: VerdictCause;
  /** Failed policy names before and after, and for `unknown` the reason. */
  detail: { failedBefore: string[]; failedAfter: string[]; reason?: string };
}

export interface RecordOutcome {
  changed: boolean;
  /** The verdict as now stored. */
  stored: StoredVerdict;
  previous?: StoredVerdict;
  change?: VerdictChange;
}

interface VerdictRow {
  digest: string;
  state: VerdictState;
  failed_policies: string;
  summary: string;
  reason: string | null;
  inputs: string;
  evaluated_at: string;
  changed_at: string;
}

interface ChangeRow {
  digest: string;
  at: string;
  from_state: VerdictState | null;
  to_state: VerdictState | 'forgotten';
  cause: VerdictCause;
  detail: string;
}

/**
 * The current verdict per image digest and the history of its changes. A change is recorded
 * when the state or the failed policies differ from the stored verdict, with the input that
 * explains it (new image, feed data, policy change, expired ignore, scan failure).
 */
export class VerdictStore {
  // Prepared once: a re-assessment records a verdict for every stored digest.
  private readonly getStmt;
  private readonly upsertStmt;
  private readonly changeStmt;

  constructor(private readonly db: Db) {
    this.getStmt = db.prepare<[string], VerdictRow>('SELECT * FROM verdicts WHERE digest = ?');
    this.upsertStmt = db.prepare<[string, VerdictState, string, string, string | null, string, string, string]>(
      `INSERT INTO verdicts (digest, state, failed_policies, summary, reason, inputs, evaluated_at, changed_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (digest) DO UPDATE SET state = excluded.state, failed_policies = excluded.failed_policies, summary = excluded.summary,
         reason = excluded.reason, inputs = excluded.inputs, evaluated_at = excluded.evaluated_at, changed_at = excluded.changed_at`,
    );
    this.changeStmt = db.prepare<[string, string, VerdictState | null, VerdictState | 'forgotten', VerdictCause, string]>(
      'INSERT INTO verdict_changes (digest, at, from_state, to_state, cause, detail) VALUES (?, ?, ?, ?, ?, ?)',
    );
  }

  get(digest: string): StoredVerdict | undefined {
    const row = this.getStmt.get(digest);
    return row && fromRow(row);
  }

  counts(): Record<VerdictState, number> {
    const counts: Record<VerdictState, number> = { compliant: 0, 'non-compliant': 0, unknown: 0 };
    for (const r of this.db.prepare<[], { state: VerdictState; n: number }>('SELECT state, count(*) AS n FROM verdicts GROUP BY state').all()) counts[r.state] = r.n;
    return counts;
  }

  /** Stores `next` as the digest's verdict; records a change row when it differs from the stored one. */
  record(next: Verdict, now = new Date()): RecordOutcome {
    const at = now.toISOString();
    const write = (): RecordOutcome => {
      const previous = this.get(next.digest);
      const failedBefore = previous?.failedPolicies.map((p) => p.name).sort() ?? [];
      const failedAfter = next.failedPolicies.map((p) => p.name).sort();
      const changed = !previous || previous.state !== next.state || failedBefore.join('\0') !== failedAfter.join('\0');
      const changedAt = changed ? at : previous.changedAt;
      this.upsertStmt.run(next.digest, next.state, JSON.stringify(next.failedPolicies), JSON.stringify(next.summary), next.reason ?? null, JSON.stringify(next.inputs), at, changedAt);
      const stored: StoredVerdict = { ...next, evaluatedAt: at, changedAt };
      if (!changed) return { changed, stored, previous };
      const change: VerdictChange = {
        digest: next.digest,
        at,
        from: previous?.state ?? null,
        to: next.state,
        cause: causeOf(previous, next),
        detail: { failedBefore, failedAfter, ...(next.reason !== undefined && { reason: next.reason }) },
      };
      this.changeStmt.run(change.digest, change.at, change.from, change.to, change.cause, JSON.stringify(change.detail));
      return { changed, stored, previous, change };
    };
    // Inside a caller's transaction (a batch of digests) no savepoint of its own is needed.
    return this.db.inTransaction ? write() : this.db.transaction(write)();
  }

  /**
   * Drops the verdicts of digests no image row points at any more (their tags were forgotten),
   * each with a `forgotten` change, so a day replayed from the history leaves them out as well.
   */
  forgetOrphans(now = new Date()): number {
    const at = now.toISOString();
    return this.db.transaction(() => {
      const orphans = this.db.prepare<[], VerdictRow>('SELECT * FROM verdicts WHERE digest NOT IN (SELECT digest FROM images)').all();
      for (const row of orphans) {
        const failedBefore = (JSON.parse(row.failed_policies) as FailedPolicy[]).map((p) => p.name).sort();
        this.changeStmt.run(row.digest, at, row.state, 'forgotten', 'forgotten', JSON.stringify({ failedBefore, failedAfter: [] }));
        this.db.prepare('DELETE FROM verdicts WHERE digest = ?').run(row.digest);
      }
      return orphans.length;
    })();
  }

  history(digest: string): VerdictChange[] {
    return this.db.prepare<[string], ChangeRow>('SELECT * FROM verdict_changes WHERE digest = ? ORDER BY at, id').all(digest).map(changeFromRow);
  }

  /** Changes with `from <= at < to` (ISO timestamps), oldest first. */
  changesBetween(from: string, to: string): VerdictChange[] {
    return this.db.prepare<[string, string], ChangeRow>('SELECT * FROM verdict_changes WHERE at >= ? AND at < ? ORDER BY at, id').all(from, to).map(changeFromRow);
  }
}

function fromRow(r: VerdictRow): StoredVerdict {
  return {
    digest: r.digest,
    state: r.state,
    failedPolicies: JSON.parse(r.failed_policies) as FailedPolicy[],
    summary: JSON.parse(r.summary) as SeveritySummary | null,
    ...(r.reason !== null && { reason: r.reason }),
    inputs: JSON.parse(r.inputs) as VerdictInputs,
    evaluatedAt: r.evaluated_at,
    changedAt: r.changed_at,
  };
}

function changeFromRow(r: ChangeRow): VerdictChange {
  return { digest: r.digest, at: r.at, from: r.from_state, to: r.to_state, cause: r.cause, detail: JSON.parse(r.detail) as VerdictChange['detail'] };
}
