import { AnalyzerError } from '../../../errors';
import type { HeaderRecord } from './record';

/**
 * Reads the key/data pairs of the Berkeley DB hash database rpm used as `Packages` up to RHEL 8,
 * straight from the file's bytes. The file is in the byte order of the machine that wrote it; the
 * meta page's magic tells which. Header blobs are far larger than a page, so each data item is an
 * off-page reference to a chain of overflow pages.
 */

export const BDB_HASH_MAGIC = 0x061561;

// Hash format versions of Berkeley DB 4.x to 6.x, which share the page layout read here.
const HASH_VERSIONS = new Set([8, 9, 10]);
const MIN_PAGE_SIZE = 512;
const MAX_PAGE_SIZE = 65536;

const PAGE_HEADER_SIZE = 26;
const PAGE_TYPE = { hashUnsorted: 2, overflow: 7, hashMeta: 8, hash: 13 } as const;
const ITEM_TYPE = { keyData: 1, duplicate: 2, offPage: 3, offPageDuplicates: 4 } as const;
const OFF_PAGE_ITEM_SIZE = 12;
const META_FLAG_CHECKSUM = 0x01;
const SPARES_OFFSET = 96;
const SPARES_COUNT = 32;

function fail(message: string): never {
  throw new AnalyzerError(`rpm BerkeleyDB: ${message}`);
}

/** Smallest n with 2^n >= value: Berkeley DB's __db_log2, which picks the spares slot of a bucket. */
function ceilLog2(value: number): number {
  let n = 0;
  while (2 ** n < value) n++;
  return n;
}

class HashFile {
  readonly littleEndian: boolean;
  readonly pageSize: number;
  readonly lastPage: number;
  private readonly spares: number[] = [];
  readonly maxBucket: number;

  constructor(private readonly data: Buffer) {
    if (data.length < MIN_PAGE_SIZE) fail(`${data.length} bytes is too short for a meta page`);
    const magicLE = data.readUInt32LE(12);
    const magicBE = data.readUInt32BE(12);
    if (magicLE !== BDB_HASH_MAGIC && magicBE !== BDB_HASH_MAGIC) fail(`bad meta page magic 0x${magicLE.toString(16)}`);
    this.littleEndian = magicLE === BDB_HASH_MAGIC;

    const version = this.u32(16);
    if (!HASH_VERSIONS.has(version)) fail(`unsupported hash version ${version}`);
    this.pageSize = this.u32(20);
    if (this.pageSize < MIN_PAGE_SIZE || this.pageSize > MAX_PAGE_SIZE || (this.pageSize & (this.pageSize - 1)) !== 0) {
      fail(`invalid page size ${this.pageSize}`);
    }
    if (data[24] !== 0) fail('database is encrypted');
    if (data[25] !== PAGE_TYPE.hashMeta) fail(`meta page has type ${data[25]}, expected hash meta (${PAGE_TYPE.hashMeta})`);
    // With checksums every page header grows by a checksum field this reader does not lay out.
    if ((data[26] & META_FLAG_CHECKSUM) !== 0) fail('page checksums are not supported');

    this.lastPage = this.u32(32);
    const needed = (this.lastPage + 1) * this.pageSize;
    if (data.length < needed) {
      fail(`file is ${data.length} bytes but the meta page says it has ${this.lastPage + 1} pages of ${this.pageSize} bytes (${needed})`);
    }
    this.maxBucket = this.u32(72);
    if (this.maxBucket > this.lastPage) fail(`meta page claims ${this.maxBucket + 1} buckets in ${this.lastPage + 1} pages`);
    for (let i = 0; i < SPARES_COUNT; i++) this.spares.push(this.u32(SPARES_OFFSET + i * 4));
  }

  u32(at: number): number {
    return this.littleEndian ? this.data.readUInt32LE(at) : this.data.readUInt32BE(at);
  }

  u16(at: number): number {
    return this.littleEndian ? this.data.readUInt16LE(at) : this.data.readUInt16BE(at);
  }

  /** Byte offset of a page after checking that it exists and says it is that page of that type. */
  page(pgno: number, kind: string, types: readonly number[]): number {
    if (pgno === 0 || pgno > this.lastPage) fail(`${kind} page ${pgno} beyond end of file (last page ${this.lastPage})`);
    const at = pgno * this.pageSize;
    const stored = this.u32(at + 8);
    if (stored !== pgno) fail(`${kind} page ${pgno} says it is page ${stored}`);
    const type = this.data[at + 25];
    if (!types.includes(type)) fail(`${kind} page ${pgno} has page type ${type}`);
    return at;
  }

  bucketPage(bucket: number): number {
    return bucket + this.spares[ceilLog2(bucket + 1)];
  }

  /** Berkeley DB allocates a doubling's bucket pages at once but writes each only when first used. */
  isUnwrittenPage(pgno: number): boolean {
    if (pgno === 0 || pgno > this.lastPage) return false;
    const start = pgno * this.pageSize;
    for (let i = start; i < start + this.pageSize; i++) if (this.data[i] !== 0) return false;
    return true;
  }

  /** The bytes of item `index` on the hash page at `at`: items fill the page from its end, in index order. */
  item(at: number, pgno: number, index: number, entries: number): Buffer {
    const indexEnd = PAGE_HEADER_SIZE + entries * 2;
    const start = this.u16(at + PAGE_HEADER_SIZE + index * 2);
    const end = index === 0 ? this.pageSize : this.u16(at + PAGE_HEADER_SIZE + (index - 1) * 2);
    if (start < indexEnd || start >= end || end > this.pageSize) {
      fail(`hash page ${pgno} item ${index} spans bytes ${start}..${end}, outside ${indexEnd}..${this.pageSize}`);
    }
    return this.data.subarray(at + start, at + end);
  }

  /** Joins the overflow chain that holds one large data item, without copying when it fits one page. */
  overflow(first: number, totalLength: number, owner: string): Buffer {
    const pieces: Buffer[] = [];
    let remaining = totalLength;
    let pgno = first;
    while (remaining > 0) {
      if (pgno === 0) fail(`overflow chain of ${owner} ends after ${totalLength - remaining} of ${totalLength} bytes`);
      const at = this.page(pgno, 'overflow', [PAGE_TYPE.overflow]);
      // On overflow pages the header's free-area offset field holds the number of bytes stored.
      const length = this.u16(at + 22);
      if (length === 0 || PAGE_HEADER_SIZE + length > this.pageSize || length > remaining) {
        fail(`overflow page ${pgno} of ${owner} claims ${length} bytes with ${remaining} of ${totalLength} left`);
      }
      pieces.push(this.data.subarray(at + PAGE_HEADER_SIZE, at + PAGE_HEADER_SIZE + length));
      remaining -= length;
      pgno = this.u32(at + 16);
    }
    if (pgno !== 0) fail(`overflow chain of ${owner} continues to page ${pgno} past its ${totalLength} bytes`);
    return pieces.length === 1 ? pieces[0] : Buffer.concat(pieces, totalLength);
  }
}

/** The header blobs of a BerkeleyDB `Packages` file, in hash bucket order. */
export function readBdbHeaders(data: Buffer): HeaderRecord[] {
  const file = new HashFile(data);
  const records: HeaderRecord[] = [];
  const visited = new Set<number>();

  for (let bucket = 0; bucket <= file.maxBucket; bucket++) {
    let pgno = file.bucketPage(bucket);
    if (file.isUnwrittenPage(pgno)) continue;
    while (pgno !== 0) {
      if (visited.has(pgno)) fail(`hash page ${pgno} is reached twice (bucket ${bucket}): the page chain loops`);
      visited.add(pgno);
      const at = file.page(pgno, `bucket ${bucket} hash`, [PAGE_TYPE.hash, PAGE_TYPE.hashUnsorted]);
      const entries = file.u16(at + 20);
      if (entries % 2 !== 0) fail(`hash page ${pgno} has ${entries} items, not key/data pairs`);
      if (PAGE_HEADER_SIZE + entries * 2 > file.pageSize) fail(`hash page ${pgno} claims ${entries} items`);
      for (let i = 0; i < entries; i += 2) {
        const record = readPair(file, at, pgno, i, entries);
        if (record) records.push(record);
      }
      pgno = file.u32(at + 16);
    }
  }
  return records;
}

function readPair(file: HashFile, at: number, pgno: number, index: number, entries: number): HeaderRecord | undefined {
  const key = file.item(at, pgno, index, entries);
  if (key[0] !== ITEM_TYPE.keyData || key.length !== 5) {
    fail(`hash page ${pgno} item ${index}: key of type ${key[0]} and ${key.length - 1} bytes, expected a 4-byte header number`);
  }
  const id = file.littleEndian ? key.readUInt32LE(1) : key.readUInt32BE(1);
  const value = file.item(at, pgno, index + 1, entries);
  const owner = `header ${id}`;
  // Key 0 holds rpm's counter of the last header number handed out, not a package.
  if (id === 0) return undefined;
  switch (value[0]) {
    case ITEM_TYPE.keyData:
      return { id, blob: value.subarray(1) };
    case ITEM_TYPE.offPage: {
      if (value.length !== OFF_PAGE_ITEM_SIZE) fail(`hash page ${pgno} item ${index + 1}: off-page item of ${value.length} bytes`);
      const first = file.littleEndian ? value.readUInt32LE(4) : value.readUInt32BE(4);
      const length = file.littleEndian ? value.readUInt32LE(8) : value.readUInt32BE(8);
      return { id, blob: file.overflow(first, length, owner) };
    }
    case ITEM_TYPE.duplicate:
    case ITEM_TYPE.offPageDuplicates:
      return fail(`${owner} has duplicate data items, which rpm never writes`);
    default:
      return fail(`hash page ${pgno} item ${index + 1} of ${owner} has unknown item type ${value[0]}`);
  }
}
