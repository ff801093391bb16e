import { dayIn } from '../zoned-time';
import type { Db } from './database';
import { VerdictStore } from './verdicts';

/** The verdict counts of one day, as the trend chart draws them. */
export interface ComplianceSnapshot {
  day: string;
  /** When the counts were taken (ISO). */
  at: string;
  images: number;
  compliant: number;
  nonCompliant: number;
  unknown: number;
}

interface SnapshotRow {
  day: string;
  at: string;
  images: number;
  compliant: number;
  non_compliant: number;
  unknown: number;
}

/**
 * Stores the current verdict counts as the snapshot of `now`'s day in `timeZone`. A later call
 * on the same day replaces it, so the day keeps its last state.
 */
export function recordComplianceSnapshot(db: Db, now: Date, timeZone: string): ComplianceSnapshot {
  const counts = new VerdictStore(db).counts();
  const snapshot: ComplianceSnapshot = {
    day: dayIn(timeZone, now),
    at: now.toISOString(),
    images: counts.compliant + counts['non-compliant'] + counts.unknown,
    compliant: counts.compliant,
    nonCompliant: counts['non-compliant'],
    unknown: counts.unknown,
  };
  db.prepare(
    `INSERT INTO compliance_snapshots (day, at, images, compliant, non_compliant, unknown) VALUES (?, ?, ?, ?, ?, ?)
     ON CONFLICT (day) DO UPDATE SET at = excluded.at, images = excluded.images, compliant = excluded.compliant,
       non_compliant = excluded.non_compliant, unknown = excluded.unknown`,
  ).run(snapshot.day, snapshot.at, snapshot.images, snapshot.compliant, snapshot.nonCompliant, snapshot.unknown);
  return snapshot;
}

/** The stored snapshots of the days `fromDay` to `toDay` inclusive, oldest first; missing days are absent. */
export function snapshots(db: Db, fromDay: string, toDay: string): ComplianceSnapshot[] {
  return db
    .prepare<[string, string], SnapshotRow>('SELECT * FROM compliance_snapshots WHERE day >= ? AND day <= ? ORDER BY day')
    .all(fromDay, toDay)
    .map((r) => ({ day: r.day, at: r.at, images: r.images, compliant: r.compliant, nonCompliant: r.non_compliant, unknown: r.unknown }));
}
