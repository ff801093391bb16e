import { AnalyzerError } from '../../../errors';
import { adler32 } from './adler32';
import type { HeaderRecord } from './record';

/**
 * Reads rpm's NDB `Packages.db` (SUSE): a 32-byte header, then slot pages of 16-byte slots that
 * each map a package index to a run of 16-byte blocks. A block run holds one blob: a `BlbS` head
 * (package index, generation, length), the header blob, padding, and a `BlbE` tail with an
 * Adler-32 of everything before it. All integers are little-endian.
 */

const magic = (text: string): number => Buffer.from(text, 'latin1').readUInt32LE(0);

export const NDB_MAGIC = magic('RpmP');
const SLOT_MAGIC = magic('Slot');
const BLOB_HEAD_MAGIC = magic('BlbS');
const BLOB_TAIL_MAGIC = magic('BlbE');

const NDB_VERSION = 0;
const SLOT_PAGE_SIZE = 4096;
const SLOT_SIZE = 16;
const BLOCK_SIZE = 16;
const BLOB_HEAD_SIZE = 16;
const BLOB_TAIL_SIZE = 12;
// The file header takes the place of the first two slots of the first slot page.
const FIRST_SLOT = 2;

function fail(message: string): never {
  throw new AnalyzerError(`rpm NDB: ${message}`);
}

interface Slot {
  number: number;
  pkgIdx: number;
  blockOffset: number;
  blockCount: number;
}

function readSlots(data: Buffer): Slot[] {
  if (data.length < SLOT_PAGE_SIZE) fail(`${data.length} bytes is too short for the first slot page`);
  if (data.readUInt32LE(0) !== NDB_MAGIC) fail('bad file magic, expected "RpmP"');
  const version = data.readUInt32LE(4);
  if (version !== NDB_VERSION) fail(`unsupported version ${version}`);
  const slotPages = data.readUInt32LE(12);
  if (slotPages === 0 || slotPages * SLOT_PAGE_SIZE > data.length) {
    fail(`header claims ${slotPages} slot pages but the file is ${data.length} bytes`);
  }
  const slots: Slot[] = [];
  const slotCount = (slotPages * SLOT_PAGE_SIZE) / SLOT_SIZE;
  for (let number = FIRST_SLOT; number < slotCount; number++) {
    const at = number * SLOT_SIZE;
    if (data.readUInt32LE(at) !== SLOT_MAGIC) fail(`slot ${number} has a bad magic, expected "Slot"`);
    const pkgIdx = data.readUInt32LE(at + 4);
    if (pkgIdx === 0) continue;
    slots.push({ number, pkgIdx, blockOffset: data.readUInt32LE(at + 8), blockCount: data.readUInt32LE(at + 12) });
  }
  return slots;
}

function readBlob(data: Buffer, slot: Slot, slotAreaEnd: number): Buffer {
  const owner = `package ${slot.pkgIdx} (slot ${slot.number})`;
  const start = slot.blockOffset * BLOCK_SIZE;
  const end = start + slot.blockCount * BLOCK_SIZE;
  if (start < slotAreaEnd) fail(`${owner} blob at byte ${start} lies inside the slot pages`);
  if (end - start < BLOB_HEAD_SIZE + BLOB_TAIL_SIZE) fail(`${owner} blob of ${end - start} bytes cannot hold a head and tail`);
  if (end > data.length) fail(`${owner} blob at bytes ${start}..${end} beyond end of file (${data.length} bytes)`);

  if (data.readUInt32LE(start) !== BLOB_HEAD_MAGIC) fail(`${owner} blob at byte ${start} has a bad head magic, expected "BlbS"`);
  const headPkgIdx = data.readUInt32LE(start + 4);
  if (headPkgIdx !== slot.pkgIdx) fail(`${owner} blob head names package ${headPkgIdx}`);
  const length = data.readUInt32LE(start + 12);
  if (BLOB_HEAD_SIZE + length + BLOB_TAIL_SIZE > end - start) {
    fail(`${owner} blob length ${length} does not fit its ${slot.blockCount} blocks`);
  }

  const tail = end - BLOB_TAIL_SIZE;
  if (data.readUInt32LE(tail + 8) !== BLOB_TAIL_MAGIC) fail(`${owner} blob tail has a bad magic, expected "BlbE"`);
  const tailLength = data.readUInt32LE(tail + 4);
  if (tailLength !== length) fail(`${owner} blob head says ${length} bytes, its tail ${tailLength}`);
  const checksum = data.readUInt32LE(tail);
  const actual = adler32(data.subarray(start, tail));
  if (actual !== checksum) {
    fail(`${owner} blob checksum mismatch: stored 0x${checksum.toString(16)}, computed 0x${actual.toString(16)}`);
  }
  return data.subarray(start + BLOB_HEAD_SIZE, start + BLOB_HEAD_SIZE + length);
}

/** The header blobs of an NDB `Packages.db`, by package index. */
export function readNdbHeaders(data: Buffer): HeaderRecord[] {
  const slots = readSlots(data);
  const slotAreaEnd = data.readUInt32LE(12) * SLOT_PAGE_SIZE;
  const seen = new Map<number, number>();
  const records: HeaderRecord[] = [];
  for (const slot of slots) {
    const other = seen.get(slot.pkgIdx);
    if (other !== undefined) fail(`package ${slot.pkgIdx} is in both slot ${other} and slot ${slot.number}`);
    seen.set(slot.pkgIdx, slot.number);
    records.push({ id: slot.pkgIdx, blob: readBlob(data, slot, slotAreaEnd) });
  }
  return records.sort((a, b) => a.id - b.id);
}
