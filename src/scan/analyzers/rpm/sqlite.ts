import Database from 'better-sqlite3';
import { AnalyzerError, messageOf } from '../../../errors';
import type { HeaderRecord } from './record';

/**
 * Reads rpm's SQLite database (RHEL 9, Fedora 33+, CBL-Mariner): table `Packages(hnum, blob)`.
 * The file is deserialized into an in-memory database; nothing touches the filesystem.
 */

export const SQLITE_MAGIC = Buffer.from('SQLite format 3\0', 'latin1');
const HEADER_SIZE = 100;
const WRITE_VERSION_OFFSET = 18;
const READ_VERSION_OFFSET = 19;
const WAL_VERSION = 2;
const ROLLBACK_VERSION = 1;
const MAX_REPORTED_PROBLEMS = 3;

function fail(message: string, cause?: unknown): never {
  throw new AnalyzerError(`rpm SQLite: ${message}`, {}, cause === undefined ? undefined : { cause });
}

/** Page size from the file header; the value 1 stands for 65536. */
function pageSizeOf(data: Buffer): number {
  const raw = data.readUInt16BE(16);
  const size = raw === 1 ? 65536 : raw;
  if (size < 512 || (size & (size - 1)) !== 0) fail(`invalid page size ${raw} in the file header`);
  return size;
}

/**
 * SQLite happily reads a truncated file as long as the pages it needs are there, so the size the
 * header promises is checked first: a cut-off database must not read as a smaller one.
 */
function checkComplete(data: Buffer): void {
  const pageSize = pageSizeOf(data);
  const headerPages = data.readUInt32BE(28);
  const changeCounter = data.readUInt32BE(24);
  const validFor = data.readUInt32BE(92);
  // The in-header page count is only authoritative when written by the same change as the header.
  if (headerPages > 0 && changeCounter === validFor) {
    const expected = headerPages * pageSize;
    if (data.length < expected) {
      fail(`file is ${data.length} bytes but its header says ${headerPages} pages of ${pageSize} bytes (${expected}): truncated`);
    }
  } else if (data.length % pageSize !== 0) {
    fail(`file is ${data.length} bytes, not a whole number of ${pageSize}-byte pages: truncated`);
  }
}

/**
 * rpm keeps its database in WAL mode, and SQLite refuses to open a WAL-mode file as an in-memory
 * database ("unable to open database file"). The header's two version bytes are switched to
 * rollback mode for the duration of the constructor, which copies the buffer synchronously, and
 * then put back, so the caller's buffer is left as it was without copying it a second time.
 * Only the main file reaches the analyzer: a transaction still sitting in a `-wal` file is not seen.
 */
function openInMemory(data: Buffer): Database.Database {
  const write = data[WRITE_VERSION_OFFSET];
  const read = data[READ_VERSION_OFFSET];
  const wal = write === WAL_VERSION || read === WAL_VERSION;
  try {
    if (wal) {
      data[WRITE_VERSION_OFFSET] = ROLLBACK_VERSION;
      data[READ_VERSION_OFFSET] = ROLLBACK_VERSION;
    }
    return new Database(data, { readonly: true });
  } catch (e) {
    return fail(`cannot open database: ${messageOf(e)}`, e);
  } finally {
    if (wal) {
      data[WRITE_VERSION_OFFSET] = write;
      data[READ_VERSION_OFFSET] = read;
    }
  }
}

function readRows(db: Database.Database): HeaderRecord[] {
  const check = String(db.pragma('quick_check', { simple: true }));
  if (check !== 'ok') {
    // SQLite lists every damaged page; the first few say enough and keep the message one line.
    const problems = check.split('\n').filter((line) => line !== '' && !line.startsWith('***'));
    fail(`database is corrupt (quick_check): ${problems.slice(0, MAX_REPORTED_PROBLEMS).join('; ')}`);
  }
  const table = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'Packages'").get();
  if (!table) fail('no Packages table');
  const records: HeaderRecord[] = [];
  for (const row of db.prepare('SELECT hnum, blob FROM Packages ORDER BY hnum').iterate()) {
    const { hnum, blob } = row as { hnum: unknown; blob: unknown };
    if (typeof hnum !== 'number' || !Number.isInteger(hnum)) fail(`Packages row with hnum ${String(hnum)} is not an integer key`);
    if (!Buffer.isBuffer(blob)) fail(`Packages row ${hnum} holds a ${blob === null ? 'NULL' : typeof blob}, not a header blob`);
    records.push({ id: hnum, blob });
  }
  return records;
}

/** The header blobs of an rpm SQLite database, by `hnum`. */
export function readSqliteHeaders(data: Buffer): HeaderRecord[] {
  if (data.length < HEADER_SIZE || !data.subarray(0, SQLITE_MAGIC.length).equals(SQLITE_MAGIC)) {
    fail('not an SQLite database (bad file header)');
  }
  checkComplete(data);
  const db = openInMemory(data);
  try {
    return readRows(db);
  } catch (e) {
    if (e instanceof AnalyzerError) throw e;
    return fail(`cannot read database: ${messageOf(e)}`, e);
  } finally {
    db.close();
  }
}
