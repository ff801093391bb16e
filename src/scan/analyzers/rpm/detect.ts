import { AnalyzerError } from '../../../errors';
import { BDB_HASH_MAGIC } from './bdb';
import { NDB_MAGIC } from './ndb';
import { SQLITE_MAGIC } from './sqlite';

export type RpmDbFormat = 'bdb' | 'sqlite' | 'ndb';

// Berkeley DB keeps its magic at byte 12 of the meta page, in the writer's byte order.
const BDB_MAGIC_OFFSET = 12;

/**
 * Which backend wrote the file, from its leading bytes: the file name says where rpm looks, not
 * what it found there (a BerkeleyDB `Packages` also sits under usr/lib/sysimage/rpm).
 */
export function detectFormat(data: Buffer): RpmDbFormat {
  if (data.length >= SQLITE_MAGIC.length && data.subarray(0, SQLITE_MAGIC.length).equals(SQLITE_MAGIC)) return 'sqlite';
  if (data.length >= 4 && data.readUInt32LE(0) === NDB_MAGIC) return 'ndb';
  if (data.length >= BDB_MAGIC_OFFSET + 4) {
    if (data.readUInt32LE(BDB_MAGIC_OFFSET) === BDB_HASH_MAGIC || data.readUInt32BE(BDB_MAGIC_OFFSET) === BDB_HASH_MAGIC) return 'bdb';
  }
  throw new AnalyzerError(
    `rpm database: not a BerkeleyDB hash, SQLite or NDB file (leading bytes ${data.subarray(0, 16).toString('hex') || 'none'})`,
  );
}
