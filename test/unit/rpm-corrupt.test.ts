import Database from 'better-sqlite3';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AnalyzerError } from '../../src/errors';
import { rpmAnalyzer } from '../../src/scan/analyzers/rpm';
import { adler32 } from '../../src/scan/analyzers/rpm/adler32';

/**
 * Damaged databases must fail the scan with an AnalyzerError naming the file, never read as an
 * empty or shorter package list. Each case damages a copy of a real database in one known way.
 */

const FIXTURES = join(__dirname, '../fixtures/pkgdb/rpm');
const BDB_LE = readFileSync(join(FIXTURES, 'rhel-8.0-ubi-bdb', 'Packages'));
const BDB_BE = readFileSync(join(FIXTURES, 'rhel-8.0-ubi-subset-be512-bdb', 'Packages'));
const SQLITE = readFileSync(join(FIXTURES, 'cbl-mariner-2.0-sqlite', 'rpmdb.sqlite'));
const NDB = readFileSync(join(FIXTURES, 'sles-15.3-bci-ndb', 'Packages.db'));

const BDB_PATH = 'var/lib/rpm/Packages';
const SQLITE_PATH = 'usr/lib/sysimage/rpm/rpmdb.sqlite';
const NDB_PATH = 'usr/lib/sysimage/rpm/Packages.db';

/**
 * Pseudo-random bytes (mulberry32, fixed seed, so a failure reproduces). A 64 KiB random block is
 * tiled to the requested length: generating megabytes byte by byte would dominate the test time.
 */
function randomBytes(length: number, seed: number): Buffer {
  const block = Buffer.alloc(Math.min(length, 65536));
  let state = seed >>> 0;
  for (let i = 0; i < block.length; i++) {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    block[i] = ((t ^ (t >>> 14)) >>> 0) & 0xff;
  }
  return length <= block.length ? block : Buffer.alloc(length, block);
}

function expectAnalyzerError(path: string, data: Buffer, message: RegExp): AnalyzerError {
  let caught: unknown;
  try {
    rpmAnalyzer.parse({ path, data });
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(AnalyzerError);
  const error = caught as AnalyzerError;
  expect(error.kind).toBe('analyzer');
  expect(error.context.file).toBe(path);
  expect(error.message).toMatch(message);
  expect(error.describe()).toContain(`file ${path}`);
  return error;
}

describe('garbage with the right file name', () => {
  test.each([
    'var/lib/rpm/Packages',
    'var/lib/rpm/rpmdb.sqlite',
    'usr/lib/sysimage/rpm/rpmdb.sqlite',
    'usr/lib/sysimage/rpm/Packages.db',
    'usr/lib/sysimage/rpm/Packages',
  ])('random bytes as %s', (path) => {
    expect(rpmAnalyzer.wants(path)).toBe(true);
    expectAnalyzerError(path, randomBytes(65536, 7), /^rpm database: not a BerkeleyDB hash, SQLite or NDB file/);
  });

  test('an empty file', () => {
    expectAnalyzerError(BDB_PATH, Buffer.alloc(0), /not a BerkeleyDB hash, SQLite or NDB file \(leading bytes none\)/);
  });

  test('a text file', () => {
    expectAnalyzerError(SQLITE_PATH, Buffer.from('not a database\n'.repeat(100)), /not a BerkeleyDB hash, SQLite or NDB file/);
  });
});

describe('BerkeleyDB', () => {
  const PAGE = 4096;
  const LAST_PAGE = BDB_LE.readUInt32LE(32);

  /** The first off-page data item on bucket 0's page (page 1: spares[0] is 1 in this file). */
  function firstOffPageItem(db: Buffer): { at: number; overflowPage: number; length: number } {
    const page = PAGE;
    const entries = db.readUInt16LE(page + 20);
    for (let i = 1; i < entries; i += 2) {
      const at = page + db.readUInt16LE(page + 26 + i * 2);
      if (db[at] === 3) return { at, overflowPage: db.readUInt32LE(at + 4), length: db.readUInt32LE(at + 8) };
    }
    throw new Error('fixture has no off-page item on page 1');
  }

  const copy = (): Buffer => Buffer.from(BDB_LE);

  test('the fixture layout these cases rely on', () => {
    expect(BDB_LE.readUInt32LE(12)).toBe(0x061561);
    expect(BDB_LE.readUInt32LE(20)).toBe(PAGE);
    expect(BDB_LE.readUInt32LE(96)).toBe(1);
    const item = firstOffPageItem(BDB_LE);
    expect(item.length).toBeGreaterThan(PAGE);
  });

  test('random bytes after a real meta page', () => {
    const data = Buffer.concat([BDB_LE.subarray(0, PAGE), randomBytes(BDB_LE.length - PAGE, 11)]);
    expectAnalyzerError(BDB_PATH, data, /^rpm BerkeleyDB: bucket 0 hash page 1 /);
  });

  test('a truncated copy', () => {
    const data = BDB_LE.subarray(0, Math.floor(BDB_LE.length / 2));
    expectAnalyzerError(BDB_PATH, data, /^rpm BerkeleyDB: file is 2287616 bytes but the meta page says it has 1117 pages of 4096 bytes/);
  });

  test('a truncated big-endian copy', () => {
    const data = BDB_BE.subarray(0, BDB_BE.length - 512);
    expectAnalyzerError(BDB_PATH, data, /^rpm BerkeleyDB: file is \d+ bytes but the meta page says/);
  });

  test('a file shorter than a meta page', () => {
    expectAnalyzerError(BDB_PATH, BDB_LE.subarray(0, 100), /^rpm BerkeleyDB: 100 bytes is too short for a meta page/);
  });

  test('an off-page item pointing past the last page', () => {
    const data = copy();
    const { at } = firstOffPageItem(data);
    data.writeUInt32LE(LAST_PAGE + 100, at + 4);
    expectAnalyzerError(BDB_PATH, data, new RegExp(`^rpm BerkeleyDB: overflow page ${LAST_PAGE + 100} beyond end of file`));
  });

  test('an overflow page with the wrong page type', () => {
    const data = copy();
    const { overflowPage } = firstOffPageItem(data);
    data[overflowPage * PAGE + 25] = 0;
    expectAnalyzerError(BDB_PATH, data, new RegExp(`^rpm BerkeleyDB: overflow page ${overflowPage} has page type 0`));
  });

  test('an overflow page that says it is another page', () => {
    const data = copy();
    const { overflowPage } = firstOffPageItem(data);
    data.writeUInt32LE(overflowPage + 1, overflowPage * PAGE + 8);
    expectAnalyzerError(BDB_PATH, data, new RegExp(`overflow page ${overflowPage} says it is page ${overflowPage + 1}`));
  });

  test('an overflow chain cut short', () => {
    const data = copy();
    const { overflowPage, length } = firstOffPageItem(data);
    data.writeUInt32LE(0, overflowPage * PAGE + 16);
    const onFirstPage = data.readUInt16LE(overflowPage * PAGE + 22);
    expectAnalyzerError(BDB_PATH, data, new RegExp(`overflow chain of header \\d+ ends after ${onFirstPage} of ${length} bytes`));
  });

  test('an overflow page claiming more bytes than a page holds', () => {
    const data = copy();
    const { overflowPage } = firstOffPageItem(data);
    data.writeUInt16LE(PAGE, overflowPage * PAGE + 22);
    expectAnalyzerError(BDB_PATH, data, new RegExp(`overflow page ${overflowPage} of header \\d+ claims 4096 bytes`));
  });

  test('a hash page chain that loops', () => {
    const data = copy();
    data.writeUInt32LE(1, PAGE + 16);
    expectAnalyzerError(BDB_PATH, data, /hash page 1 is reached twice \(bucket 0\): the page chain loops/);
  });

  test('a hash page item offset outside the page', () => {
    const data = copy();
    data.writeUInt16LE(10, PAGE + 26);
    expectAnalyzerError(BDB_PATH, data, /hash page 1 item 0 spans bytes 10\.\./);
  });

  test('a header blob whose index count was zeroed', () => {
    const data = copy();
    const { overflowPage } = firstOffPageItem(data);
    data.writeUInt32BE(0, overflowPage * PAGE + 26);
    expectAnalyzerError(BDB_PATH, data, /^rpm BerkeleyDB: header \d+: header blob: index count 0 is outside 1\.\.65535/);
  });

  test('an invalid page size in the meta page', () => {
    const data = copy();
    data.writeUInt32LE(1000, 20);
    expectAnalyzerError(BDB_PATH, data, /invalid page size 1000/);
  });

  test('a Btree database instead of a hash database', () => {
    const data = copy();
    data.writeUInt32LE(0x053162, 12);
    expectAnalyzerError(BDB_PATH, data, /not a BerkeleyDB hash, SQLite or NDB file/);
  });

  test('encrypted and checksummed databases are refused, not misread', () => {
    const encrypted = copy();
    encrypted[24] = 1;
    expectAnalyzerError(BDB_PATH, encrypted, /database is encrypted/);
    const checksummed = copy();
    checksummed[26] = 1;
    expectAnalyzerError(BDB_PATH, checksummed, /page checksums are not supported/);
  });

  test('random bytes after a real big-endian meta page', () => {
    const data = Buffer.concat([BDB_BE.subarray(0, 512), randomBytes(BDB_BE.length - 512, 13)]);
    expectAnalyzerError(BDB_PATH, data, /^rpm BerkeleyDB: bucket \d+ hash page \d+ /);
  });
});

describe('SQLite', () => {
  /** Applies `change` to a writable in-memory copy of the real database and returns the new file. */
  function modified(change: (db: Database.Database) => void): Buffer {
    const rollback = Buffer.from(SQLITE);
    rollback[18] = 1;
    rollback[19] = 1;
    const db = new Database(rollback);
    try {
      change(db);
      return db.serialize();
    } finally {
      db.close();
    }
  }

  test('random bytes behind an SQLite file header', () => {
    const data = Buffer.concat([SQLITE.subarray(0, 100), randomBytes(SQLITE.length - 100, 17)]);
    const error = expectAnalyzerError(SQLITE_PATH, data, /^rpm SQLite: /);
    expect(error.message).not.toMatch(/Packages row/);
    expect([data[18], data[19]]).toEqual([2, 2]);
  });

  test('a truncated copy', () => {
    const data = SQLITE.subarray(0, Math.floor(SQLITE.length / 2));
    expectAnalyzerError(
      SQLITE_PATH,
      data,
      /^rpm SQLite: file is 1802240 bytes but its header says 880 pages of 4096 bytes \(3604480\): truncated/,
    );
  });

  test('a copy cut mid-page with no usable page count', () => {
    const data = Buffer.from(SQLITE.subarray(0, SQLITE.length - 100));
    data.writeUInt32BE(0, 28);
    expectAnalyzerError(SQLITE_PATH, data, /not a whole number of 4096-byte pages: truncated/);
  });

  test('a corrupted page (the Packages table root)', () => {
    const data = Buffer.from(SQLITE);
    data.fill(0x5a, 4096, 8192);
    expectAnalyzerError(SQLITE_PATH, data, /^rpm SQLite: database is corrupt \(quick_check\): Tree 2 page 2/);
  });

  test('a Packages blob that is not a header', () => {
    const data = modified((db) => {
      db.prepare('UPDATE Packages SET blob = ? WHERE hnum = (SELECT min(hnum) FROM Packages)').run(randomBytes(300, 19));
    });
    expectAnalyzerError(SQLITE_PATH, data, /^rpm SQLite: Packages row 1: header blob: /);
  });

  test('a Packages row holding text instead of a blob', () => {
    const data = modified((db) => {
      db.prepare("UPDATE Packages SET blob = 'curl' WHERE hnum = 5").run();
    });
    expectAnalyzerError(SQLITE_PATH, data, /^rpm SQLite: Packages row 5 holds a string, not a header blob/);
  });

  test('an SQLite database without a Packages table', () => {
    const db = new Database(':memory:');
    db.exec('CREATE TABLE Name (key TEXT, hnum INTEGER)');
    const data = db.serialize();
    db.close();
    expectAnalyzerError(SQLITE_PATH, data, /^rpm SQLite: no Packages table/);
  });

  test('an invalid page size in the file header', () => {
    const data = Buffer.from(SQLITE);
    data.writeUInt16BE(1000, 16);
    expectAnalyzerError(SQLITE_PATH, data, /invalid page size 1000/);
  });
});

describe('NDB', () => {
  const SLOT_1 = 32;
  const firstBlob = (db: Buffer): number => db.readUInt32LE(SLOT_1 + 8) * 16;
  const firstBlobEnd = (db: Buffer): number => firstBlob(db) + db.readUInt32LE(SLOT_1 + 12) * 16;
  const copy = (): Buffer => Buffer.from(NDB);

  test('the fixture layout these cases rely on', () => {
    expect(NDB.toString('latin1', 0, 4)).toBe('RpmP');
    expect(NDB.toString('latin1', SLOT_1, SLOT_1 + 4)).toBe('Slot');
    expect(NDB.readUInt32LE(SLOT_1 + 4)).toBe(1);
    expect(NDB.toString('latin1', firstBlob(NDB), firstBlob(NDB) + 4)).toBe('BlbS');
  });

  test('random bytes behind the RpmP magic', () => {
    const data = Buffer.concat([Buffer.from('RpmP'), randomBytes(8188, 23)]);
    expectAnalyzerError(NDB_PATH, data, /^rpm NDB: /);
  });

  test('random bytes after a real slot page', () => {
    const data = Buffer.concat([NDB.subarray(0, 4096), randomBytes(NDB.length - 4096, 29)]);
    expectAnalyzerError(NDB_PATH, data, /^rpm NDB: package 1 \(slot 2\) blob at byte 4096 has a bad head magic/);
  });

  test('a truncated copy', () => {
    const data = NDB.subarray(0, Math.floor(NDB.length / 2));
    expectAnalyzerError(NDB_PATH, data, /^rpm NDB: package \d+ \(slot \d+\) blob at bytes \d+\.\.\d+ beyond end of file \(687072 bytes\)/);
  });

  test('a file shorter than a slot page', () => {
    expectAnalyzerError(NDB_PATH, NDB.subarray(0, 1000), /^rpm NDB: 1000 bytes is too short for the first slot page/);
  });

  test('a slot pointing past the end of the file', () => {
    const data = copy();
    data.writeUInt32LE(0x10000000, SLOT_1 + 8);
    expectAnalyzerError(NDB_PATH, data, /^rpm NDB: package 1 \(slot 2\) blob at bytes 4294967296\.\.\d+ beyond end of file/);
  });

  test('a slot pointing into the slot pages', () => {
    const data = copy();
    data.writeUInt32LE(1, SLOT_1 + 8);
    expectAnalyzerError(NDB_PATH, data, /blob at byte 16 lies inside the slot pages/);
  });

  test('a damaged slot magic', () => {
    const data = copy();
    data.write('Slox', SLOT_1, 'latin1');
    expectAnalyzerError(NDB_PATH, data, /^rpm NDB: slot 2 has a bad magic/);
  });

  test('a damaged blob head and tail', () => {
    const head = copy();
    head.write('BlbX', firstBlob(head), 'latin1');
    expectAnalyzerError(NDB_PATH, head, /package 1 \(slot 2\) blob at byte 4096 has a bad head magic/);
    const tail = copy();
    tail.write('BlbX', firstBlobEnd(tail) - 4, 'latin1');
    expectAnalyzerError(NDB_PATH, tail, /package 1 \(slot 2\) blob tail has a bad magic/);
  });

  test('a blob head naming another package', () => {
    const data = copy();
    data.writeUInt32LE(7, firstBlob(data) + 4);
    expectAnalyzerError(NDB_PATH, data, /package 1 \(slot 2\) blob head names package 7/);
  });

  test('one flipped byte inside a blob', () => {
    const data = copy();
    data[firstBlob(data) + 200] ^= 0xff;
    expectAnalyzerError(NDB_PATH, data, /package 1 \(slot 2\) blob checksum mismatch/);
  });

  test('the same package in two slots', () => {
    const data = copy();
    data.writeUInt32LE(1, SLOT_1 + 16 + 4);
    expectAnalyzerError(NDB_PATH, data, /^rpm NDB: package 1 is in both slot 2 and slot 3/);
  });

  test('a broken header blob with a valid checksum', () => {
    const data = copy();
    const start = firstBlob(data);
    const tail = firstBlobEnd(data) - 12;
    data.writeUInt32BE(0x10000, start + 16);
    data.writeUInt32LE(adler32(data.subarray(start, tail)), tail);
    expectAnalyzerError(NDB_PATH, data, /^rpm NDB: package 1: header blob: index count 65536 is outside 1\.\.65535/);
  });
});
