import { AnalyzerError } from '../../../errors';

/**
 * The header blob every rpmdb backend stores per installed package: a big-endian index count and
 * data length, `il` 16-byte index entries (tag, type, offset, count), then `dl` bytes of data.
 * The blob is read in place; strings are decoded only when a tag is asked for.
 */

/** rpm's tag data types (rpmTagType). */
export const HeaderType = {
  Null: 0,
  Char: 1,
  Int8: 2,
  Int16: 3,
  Int32: 4,
  Int64: 5,
  String: 6,
  Bin: 7,
  StringArray: 8,
  I18nString: 9,
} as const;

const MAX_TYPE = HeaderType.I18nString;
const ENTRY_SIZE = 16;
const PREAMBLE_SIZE = 8;

// rpm's own sanity limits (hdrchkTags / hdrchkData): beyond them rpm refuses the header too.
const MAX_INDEX_ENTRIES = 0xffff;
const MAX_DATA_LENGTH = 0x0fffffff;

/** Tags that open a region: the signed/immutable part of the header, closed by a trailer entry. */
const REGION_TAGS = new Set([61, 62, 63]);
const HEADER_IMAGE_TAG = 61;

/** Byte size of one element of each fixed-size type, which is also its required alignment. */
const FIXED_SIZE: ReadonlyMap<number, number> = new Map([
  [HeaderType.Char, 1],
  [HeaderType.Int8, 1],
  [HeaderType.Int16, 2],
  [HeaderType.Int32, 4],
  [HeaderType.Int64, 8],
  [HeaderType.Bin, 1],
]);

interface IndexEntry {
  tag: number;
  type: number;
  offset: number;
  count: number;
}

export interface RpmHeader {
  /** The value of a STRING tag, or the first string of an I18NSTRING / STRING_ARRAY tag. */
  string(tag: number): string | undefined;
  /** The first element of an INT32 tag. */
  int32(tag: number): number | undefined;
  /** The bytes of a BIN tag, as a view into the blob. */
  binary(tag: number): Buffer | undefined;
}

function fail(message: string): never {
  throw new AnalyzerError(`header blob: ${message}`);
}

function readEntry(blob: Buffer, at: number): IndexEntry {
  return {
    tag: blob.readInt32BE(at),
    type: blob.readUInt32BE(at + 4),
    offset: blob.readInt32BE(at + 8),
    count: blob.readUInt32BE(at + 12),
  };
}

/** Finds the end (exclusive, after the NUL) of `count` NUL-terminated strings from `start`. */
function stringsEnd(data: Buffer, start: number, count: number, tag: number): number {
  let at = start;
  for (let i = 0; i < count; i++) {
    const nul = data.indexOf(0, at);
    if (nul < 0) fail(`tag ${tag}: string ${i + 1} of ${count} at data offset ${at} has no terminating NUL`);
    at = nul + 1;
  }
  return at;
}

function checkEntry(entry: IndexEntry, index: number, data: Buffer): void {
  const where = `index entry ${index} (tag ${entry.tag})`;
  if (entry.type > MAX_TYPE) fail(`${where} has unknown type ${entry.type}`);
  if (entry.offset < 0 || entry.offset >= data.length) {
    fail(`${where} data offset ${entry.offset} is outside the ${data.length}-byte data store`);
  }
  if (entry.count === 0) fail(`${where} has a count of 0`);
  switch (entry.type) {
    case HeaderType.Null:
      return;
    case HeaderType.String:
      if (entry.count !== 1) fail(`${where} is a STRING with count ${entry.count}`);
      stringsEnd(data, entry.offset, 1, entry.tag);
      return;
    case HeaderType.StringArray:
    case HeaderType.I18nString:
      stringsEnd(data, entry.offset, entry.count, entry.tag);
      return;
    default: {
      const size = FIXED_SIZE.get(entry.type) as number;
      if (entry.offset % size !== 0) fail(`${where} data offset ${entry.offset} is not aligned to ${size} bytes`);
      if (entry.offset + entry.count * size > data.length) {
        fail(`${where} needs ${entry.count * size} bytes at data offset ${entry.offset}, beyond the ${data.length}-byte data store`);
      }
    }
  }
}

/**
 * Checks the region trailer the first entry points to: an entry with the region's tag, type BIN,
 * count 16 and a negative offset that says how many index entries the region spans.
 */
function checkRegion(first: IndexEntry, entryCount: number, data: Buffer): void {
  if (first.type !== HeaderType.Bin || first.count !== ENTRY_SIZE) {
    fail(`region tag ${first.tag} has type ${first.type} and count ${first.count}, expected BIN and ${ENTRY_SIZE}`);
  }
  if (first.offset + ENTRY_SIZE > data.length) {
    fail(`region tag ${first.tag} trailer at data offset ${first.offset} runs past the ${data.length}-byte data store`);
  }
  const trailer = readEntry(data, first.offset);
  // rpm before 4.0.3 closed the immutable region with the HEADERIMAGE tag; rpm still accepts it.
  if (trailer.tag !== first.tag && trailer.tag !== HEADER_IMAGE_TAG) {
    fail(`region tag ${first.tag} trailer carries tag ${trailer.tag}`);
  }
  if (trailer.type !== HeaderType.Bin || trailer.count !== ENTRY_SIZE) {
    fail(`region tag ${first.tag} trailer has type ${trailer.type} and count ${trailer.count}`);
  }
  const span = -trailer.offset;
  if (span <= 0 || span % ENTRY_SIZE !== 0 || span / ENTRY_SIZE > entryCount) {
    fail(`region tag ${first.tag} trailer offset ${trailer.offset} does not span 1..${entryCount} index entries`);
  }
}

/**
 * Parses a header blob without copying it. Every entry is bounds-checked up front, so a blob that
 * parses can be read tag by tag without further failures.
 */
export function parseHeaderBlob(blob: Buffer): RpmHeader {
  if (blob.length < PREAMBLE_SIZE) fail(`${blob.length} bytes is too short for the index count and data length`);
  const il = blob.readUInt32BE(0);
  const dl = blob.readUInt32BE(4);
  if (il === 0 || il > MAX_INDEX_ENTRIES) fail(`index count ${il} is outside 1..${MAX_INDEX_ENTRIES}`);
  if (dl > MAX_DATA_LENGTH) fail(`data length ${dl} exceeds ${MAX_DATA_LENGTH}`);
  const expected = PREAMBLE_SIZE + il * ENTRY_SIZE + dl;
  if (blob.length !== expected) {
    fail(`is ${blob.length} bytes but ${il} index entries and ${dl} data bytes make ${expected}`);
  }
  const dataStart = PREAMBLE_SIZE + il * ENTRY_SIZE;
  const data = blob.subarray(dataStart);

  // Entries installed after the region (rpm's "dribble" entries) replace same-tag region entries,
  // which is how rpm itself resolves them; index order puts them last, so the last one wins.
  const entries = new Map<number, IndexEntry>();
  for (let i = 0; i < il; i++) {
    const entry = readEntry(blob, PREAMBLE_SIZE + i * ENTRY_SIZE);
    if (i === 0 && REGION_TAGS.has(entry.tag)) {
      checkRegion(entry, il, data);
      continue;
    }
    checkEntry(entry, i, data);
    entries.set(entry.tag, entry);
  }

  const stringAt = (entry: IndexEntry): string => {
    const end = data.indexOf(0, entry.offset);
    return data.toString('utf8', entry.offset, end);
  };

  return {
    string(tag) {
      const entry = entries.get(tag);
      if (!entry) return undefined;
      if (entry.type !== HeaderType.String && entry.type !== HeaderType.StringArray && entry.type !== HeaderType.I18nString) {
        fail(`tag ${tag} has type ${entry.type}, expected a string type`);
      }
      return stringAt(entry);
    },
    int32(tag) {
      const entry = entries.get(tag);
      if (!entry) return undefined;
      if (entry.type !== HeaderType.Int32) fail(`tag ${tag} has type ${entry.type}, expected INT32`);
      return data.readInt32BE(entry.offset);
    },
    binary(tag) {
      const entry = entries.get(tag);
      if (!entry) return undefined;
      if (entry.type !== HeaderType.Bin) fail(`tag ${tag} has type ${entry.type}, expected BIN`);
      return data.subarray(entry.offset, entry.offset + entry.count);
    },
  };
}
