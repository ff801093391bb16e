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
  fixed_version: string | null;
  state: string;
  severity: string;
  feed: string;
}

type FindingKey = Pick<StoredFinding, 'advisory_id' | 'package' | 'installed'>;

const keyOf = (f: FindingKey) => `${f.advisory_id}\0${f.package}\0${f.installed}`;

/**
 * The findings of each inventory, replaced by every match. What a match adds or removes is kept
 * as one change row per inventory and run (the ids), so "what got worse since yesterday" is a
 * lookup, and an unchanged re-match writes nothing but its timestamp.
 */
export class FindingStore {
  private readonly selectStmt;
  private readonly changeStmt;
  private readonly removeStmt;
  private readonly upsertStmt;
  private readonly matchedStmt;

  constructor(private readonly db: Db) {
    this.selectStmt = db.prepare<[string], StoredFinding>(
      'SELECT advisory_id, package, installed, fixed_version, state, severity, feed FROM findings WHERE inventory_digest = ?',
    );
    this.changeStmt = db.prepare('INSERT INTO finding_changes (inventory_digest, at, added, removed) VALUES (?, ?, ?, ?)');
    this.removeStmt = db.prepare('DELETE FROM findings WHERE inventory_digest = ? AND advisory_id = ? AND package = ? AND installed = ?');
    // One statement per inventory, its rows handed over as a JSON array that SQLite unpacks:
    // a million findings cost a million JS-to-SQLite calls otherwise.
    this.upsertStmt = db.prepare(
      `INSERT INTO findings (inventory_digest, advisory_id, package, installed, fixed_version, state, severity, feed, first_seen)
       SELECT ?, j.value ->> 0, j.value ->> 1, j.value ->> 2, j.value ->> 3, j.value ->> 4, j.value ->> 5, j.value ->> 6, ?
         FROM json_each(?) AS j WHERE true
       ON CONFLICT (inventory_digest, advisory_id, package, installed) DO UPDATE SET
         fixed_version = excluded.fixed_version, state = excluded.state, severity = excluded.severity, feed = excluded.feed`,
    );
    this.matchedStmt = db.prepare('UPDATE inventories SET matched_at = ? WHERE digest = ?');
  }

  /**
   * An inventory no imported feed covers any more (a feed removed or re-imported for other
   * releases): its old findings go, recorded as removed, and it reads as not matched again
   * rather than as clean.
   */
  clear(inventoryDigest: string, now = new Date()): FindingChanges {
    const removed = this.selectStmt.all(inventoryDigest).map((r) => r.advisory_id);
    if (removed.length) {
      this.db.prepare('DELETE FROM findings WHERE inventory_digest = ?').run(inventoryDigest);
      this.changeStmt.run(inventoryDigest, now.toISOString(), '[]', JSON.stringify(removed));
    }
    this.db.prepare('UPDATE inventories SET matched_at = NULL WHERE digest = ?').run(inventoryDigest);
    return { added: 0, removed: removed.length };
  }

  /** Stores an inventory's findings in one transaction, or in the caller's when one is open. */
  replace(inventoryDigest: string, findings: readonly Finding[], now = new Date()): FindingChanges {
    const at = now.toISOString();
    const write = (): FindingChanges => {
      const before = new Map(this.selectStmt.all(inventoryDigest).map((r) => [keyOf(r), r]));
      const added: string[] = [];
      const removed: string[] = [];
      const kept = new Set<string>();
      const writes: (string | null)[][] = [];
      for (const f of findings) {
        const row = { advisory_id: f.advisoryId, package: f.package, installed: f.installed };
        const key = keyOf(row);
        kept.add(key);
        const old = before.get(key);
        if (!old) added.push(f.advisoryId);
        else if (old.fixed_version === (f.fixedVersion ?? null) && old.state === f.state && old.severity === f.severity && old.feed === f.feed) continue;
        writes.push([f.advisoryId, f.package, f.installed, f.fixedVersion ?? null, f.state, f.severity, f.feed]);
      }
      if (writes.length) this.upsertStmt.run(inventoryDigest, at, JSON.stringify(writes));
      for (const [key, r] of before) {
        if (kept.has(key)) continue;
        this.removeStmt.run(inventoryDigest, r.advisory_id, r.package, r.installed);
        removed.push(r.advisory_id);
      }
      if (added.length || removed.length) this.changeStmt.run(inventoryDigest, at, JSON.stringify(added), JSON.stringify(removed));
      this.matchedStmt.run(at, inventoryDigest);
      return { added: added.length, removed: removed.length };
    };
    // A savepoint per inventory inside a batch costs more than the writes it guards.
    return this.db.inTransaction ? write() : this.db.transaction(write)();
  }
}
