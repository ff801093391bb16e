import type { Finding } from '../vuln/matcher';
import type { Db } from './database';

export interface FindingChanges {
  added: number;
  removed: number;
}

interface StoredFinding {
  advisory_id: string;
  package: string;
  installed: string;
}

/** The findings of each inventory, replaced by every match, with what changed recorded. */
export class FindingStore {
  constructor(private readonly db: Db) {}

  /** Stores an inventory's findings in one transaction and records additions and removals. */
  replace(inventoryDigest: string, findings: readonly Finding[], now = new Date()): FindingChanges {
    const at = now.toISOString();
    return this.db.transaction(() => {
      const key = (f: { advisory_id: string; package: string; installed: string }) => `${f.advisory_id}\0${f.package}\0${f.installed}`;
      const before = new Map(
        this.db
          .prepare<[string], StoredFinding>('SELECT advisory_id, package, installed FROM findings WHERE inventory_digest = ?')
          .all(inventoryDigest)
          .map((r) => [key(r), r]),
      );
      const after = new Map(findings.map((f) => [key({ advisory_id: f.advisoryId, package: f.package, installed: f.installed }), f]));
      const change = this.db.prepare('INSERT INTO finding_changes (inventory_digest, advisory_id, package, installed, change, at) VALUES (?, ?, ?, ?, ?, ?)');
      const remove = this.db.prepare('DELETE FROM findings WHERE inventory_digest = ? AND advisory_id = ? AND package = ? AND installed = ?');
      const upsert = this.db.prepare(
        `INSERT INTO findings (inventory_digest, advisory_id, package, installed, fixed_version, state, severity, feed, first_seen)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (inventory_digest, advisory_id, package, installed) DO UPDATE SET
           fixed_version = excluded.fixed_version, state = excluded.state, severity = excluded.severity, feed = excluded.feed`,
      );
      let removed = 0;
      for (const [k, r] of before) {
        if (after.has(k)) continue;
        remove.run(inventoryDigest, r.advisory_id, r.package, r.installed);
        change.run(inventoryDigest, r.advisory_id, r.package, r.installed, 'removed', at);
        removed++;
      }
      let added = 0;
      for (const [k, f] of after) {
        upsert.run(inventoryDigest, f.advisoryId, f.package, f.installed, f.fixedVersion ?? null, f.state, f.severity, f.feed, at);
        if (before.has(k)) continue;
        change.run(inventoryDigest, f.advisoryId, f.package, f.installed, 'added', at);
        added++;
      }
      this.db.prepare('UPDATE inventories SET matched_at = ? WHERE digest = ?').run(at, inventoryDigest);
      return { added, removed };
    })();
  }
}
