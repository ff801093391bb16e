import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { StoreError } from '../errors';
import { migrations } from './migrations';

export type Db = Database.Database;

/**
 * Opens (creating if needed) the SQLite store in WAL mode and brings its schema up to date.
 * WAL lets the report and `images` read while a sweep writes; a crash leaves the last committed
 * transaction, never half an image.
 */
export function openDatabase(file: string): Db {
  let db: Db;
  try {
    if (file !== ':memory:') fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    db = new Database(file);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 10000');
    // 64 MiB of page cache: a match run writes a million findings into one B-tree.
    db.pragma('cache_size = -65536');
  } catch (e) {
    throw new StoreError(`cannot open database ${file}: ${(e as Error).message}`, { file }, { cause: e });
  }
  migrate(db, file);
  return db;
}

function migrate(db: Db, file: string): void {
  db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)');
  const applied = new Set(db.prepare('SELECT version FROM schema_migrations').pluck().all() as number[]);
  const newest = migrations[migrations.length - 1]?.version ?? 0;
  const unknown = [...applied].filter((v) => v > newest);
  if (unknown.length) {
    throw new StoreError(`database ${file} has schema version ${Math.max(...unknown)}, newer than this imagewarden knows (${newest})`, { file });
  }
  for (const m of migrations) {
    if (applied.has(m.version)) continue;
    try {
      db.transaction(() => {
        db.exec(m.sql);
        db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(m.version, m.name, new Date().toISOString());
      })();
    } catch (e) {
      throw new StoreError(`migration ${m.version} (${m.name}) failed on ${file}: ${(e as Error).message}`, { file }, { cause: e });
    }
  }
}
