import { AnalyzerError } from '../../src/errors';
import { adler32 } from '../../src/scan/analyzers/rpm/adler32';
import { HeaderType, parseHeaderBlob } from '../../src/scan/analyzers/rpm/header';
import { packageFromHeader } from '../../src/scan/analyzers/rpm/package';

/** Header blobs built entry by entry, laid out the way rpm lays them out (big-endian, aligned). */

interface Entry {
  tag: number;
  type: number;
  count: number;
  data: Buffer;
}

const TAG = { name: 1000, version: 1001, release: 1002, epoch: 1003, summary: 1004, vendor: 1011, arch: 1022, sourceRpm: 1044 };
const IMMUTABLE = 63;
const ALIGN: Record<number, number> = { [HeaderType.Int16]: 2, [HeaderType.Int32]: 4, [HeaderType.Int64]: 8 };

const str = (tag: number, value: string): Entry => ({ tag, type: HeaderType.String, count: 1, data: Buffer.from(`${value}\0`) });
const strings = (tag: number, type: number, values: string[]): Entry => ({
  tag,
  type,
  count: values.length,
  data: Buffer.from(values.map((v) => `${v}\0`).join('')),
});
const int32 = (tag: number, ...values: number[]): Entry => {
  const data = Buffer.alloc(values.length * 4);
  values.forEach((v, i) => data.writeInt32BE(v, i * 4));
  return { tag, type: HeaderType.Int32, count: values.length, data };
};

/**
 * `region` entries go inside an immutable region (tag 63 first, its trailer at the end of their
 * data); `dribble` entries follow it, as the ones rpm adds at install time.
 */
function buildBlob(region: Entry[], dribble: Entry[] = [], withRegion = true): Buffer {
  const index: Buffer[] = [];
  const chunks: Buffer[] = [];
  let size = 0;
  const place = (entry: Entry): number => {
    const align = ALIGN[entry.type] ?? 1;
    const pad = (align - (size % align)) % align;
    if (pad) chunks.push(Buffer.alloc(pad));
    const offset = size + pad;
    chunks.push(entry.data);
    size = offset + entry.data.length;
    return offset;
  };
  const indexEntry = (tag: number, type: number, offset: number, count: number): Buffer => {
    const b = Buffer.alloc(16);
    b.writeInt32BE(tag, 0);
    b.writeUInt32BE(type, 4);
    b.writeInt32BE(offset, 8);
    b.writeUInt32BE(count, 12);
    return b;
  };
  for (const entry of region) index.push(indexEntry(entry.tag, entry.type, place(entry), entry.count));
  if (withRegion) {
    const trailer = indexEntry(IMMUTABLE, HeaderType.Bin, -(region.length + 1) * 16, 16);
    const trailerOffset = place({ tag: IMMUTABLE, type: HeaderType.Bin, count: 16, data: trailer });
    index.unshift(indexEntry(IMMUTABLE, HeaderType.Bin, trailerOffset, 16));
  }
  for (const entry of dribble) index.push(indexEntry(entry.tag, entry.type, place(entry), entry.count));
  const preamble = Buffer.alloc(8);
  preamble.writeUInt32BE(index.length, 0);
  preamble.writeUInt32BE(size, 4);
  return Buffer.concat([preamble, ...index, ...chunks]);
}

const basic = (): Entry[] => [
  str(TAG.name, 'openssl-libs'),
  str(TAG.version, '1.1.1'),
  str(TAG.release, '8.el8'),
  str(TAG.arch, 'x86_64'),
  str(TAG.sourceRpm, 'openssl-1.1.1-8.el8.src.rpm'),
  str(TAG.vendor, 'Red Hat, Inc.'),
];

/** Byte offset of index entry `i` in a blob. */
const entryAt = (i: number): number => 8 + i * 16;
const dataStart = (blob: Buffer): number => 8 + blob.readUInt32BE(0) * 16;

function expectHeaderError(blob: Buffer, message: RegExp): void {
  let caught: unknown;
  try {
    packageFromHeader(parseHeaderBlob(blob));
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(AnalyzerError);
  expect((caught as AnalyzerError).message).toMatch(message);
}

describe('package from header', () => {
  test('epoch 1 makes version 1:1.1.1-8.el8 and source the source rpm name', () => {
    const pkg = packageFromHeader(parseHeaderBlob(buildBlob([...basic(), int32(TAG.epoch, 1)])));
    expect(pkg).toEqual({
      ecosystem: 'rpm',
      name: 'openssl-libs',
      version: '1:1.1.1-8.el8',
      epoch: 1,
      upstreamVersion: '1.1.1',
      release: '8.el8',
      arch: 'x86_64',
      source: 'openssl',
      sourceVersion: 'openssl-1.1.1-8.el8.src.rpm',
      vendor: 'Red Hat, Inc.',
    });
  });

  test('without EPOCH there is no epoch, not even 0', () => {
    const pkg = packageFromHeader(parseHeaderBlob(buildBlob(basic())));
    expect(pkg.version).toBe('1.1.1-8.el8');
    expect('epoch' in pkg).toBe(false);
  });

  test('epoch 0 is kept when the header has it', () => {
    const pkg = packageFromHeader(parseHeaderBlob(buildBlob([...basic(), int32(TAG.epoch, 0)])));
    expect(pkg).toMatchObject({ version: '0:1.1.1-8.el8', epoch: 0 });
  });

  test.each([
    ['gcc11-11.2.1+git610-1.3.9.src.rpm', 'gcc11'],
    ['ca-certificates-mozilla-prebuilt-2.44-21.1.src.rpm', 'ca-certificates-mozilla-prebuilt'],
    ['skelcd-bci-2021.05.14-150300.4.8.1.src.rpm', 'skelcd-bci'],
    ['firmware-20190111-1.nosrc.rpm', 'firmware'],
  ])('source rpm %s has source name %s', (sourceRpm, source) => {
    const pkg = packageFromHeader(parseHeaderBlob(buildBlob([...basic().slice(0, 4), str(TAG.sourceRpm, sourceRpm)])));
    expect(pkg.source).toBe(source);
    expect(pkg.sourceVersion).toBe(sourceRpm);
  });

  test('a source rpm name not of the NAME-VERSION-RELEASE.src.rpm form keeps the file name but no source', () => {
    const pkg = packageFromHeader(parseHeaderBlob(buildBlob([...basic().slice(0, 4), str(TAG.sourceRpm, 'odd.rpm')])));
    expect(pkg.sourceVersion).toBe('odd.rpm');
    expect('source' in pkg).toBe(false);
  });

  test('a header without ARCH, SOURCERPM and VENDOR leaves them out', () => {
    const pkg = packageFromHeader(parseHeaderBlob(buildBlob(basic().slice(0, 3))));
    expect(pkg).toEqual({ ecosystem: 'rpm', name: 'openssl-libs', version: '1.1.1-8.el8', upstreamVersion: '1.1.1', release: '8.el8' });
  });

  test('gpg-pubkey headers (imported signing keys) read as rpm -qa lists them', () => {
    const key = packageFromHeader(parseHeaderBlob(buildBlob([str(TAG.name, 'gpg-pubkey'), str(TAG.version, 'fd431d51'), str(TAG.release, '4ae0493b')])));
    expect(key).toEqual({ ecosystem: 'rpm', name: 'gpg-pubkey', version: 'fd431d51-4ae0493b', upstreamVersion: 'fd431d51', release: '4ae0493b' });
  });

  test.each([
    ['NAME', TAG.name],
    ['VERSION', TAG.version],
    ['RELEASE', TAG.release],
  ])('a header without %s fails', (label, tag) => {
    const blob = buildBlob(basic().filter((e) => e.tag !== tag));
    expectHeaderError(blob, new RegExp(`no ${label} \\(tag ${tag}\\)`));
  });

  test('an EPOCH stored as a string fails rather than being guessed', () => {
    expectHeaderError(buildBlob([...basic(), str(TAG.epoch, '1')]), /tag 1003 has type 6, expected INT32/);
  });

  test('a negative EPOCH fails', () => {
    expectHeaderError(buildBlob([...basic(), int32(TAG.epoch, -1)]), /negative EPOCH -1/);
  });

  test('a NAME stored as an INT32 fails', () => {
    expectHeaderError(buildBlob([int32(TAG.name, 5), ...basic().slice(1)]), /tag 1000 has type 4, expected a string type/);
  });
});

describe('header blob', () => {
  test('reads the first string of I18NSTRING and STRING_ARRAY entries', () => {
    const header = parseHeaderBlob(
      buildBlob([...basic(), strings(TAG.summary, HeaderType.I18nString, ['first', 'second']), strings(1117, HeaderType.StringArray, ['a', 'b'])]),
    );
    expect(header.string(TAG.summary)).toBe('first');
    expect(header.string(1117)).toBe('a');
    expect(header.string(9999)).toBeUndefined();
    expect(header.int32(TAG.epoch)).toBeUndefined();
  });

  test('decodes UTF-8 strings', () => {
    const header = parseHeaderBlob(buildBlob([...basic().slice(0, 5), str(TAG.vendor, 'Lempel–Ziv–Markov')]));
    expect(header.string(TAG.vendor)).toBe('Lempel–Ziv–Markov');
  });

  test('entries added after the region override the region ones, as in rpm', () => {
    const header = parseHeaderBlob(buildBlob(basic(), [str(TAG.vendor, 'Later Vendor')]));
    expect(header.string(TAG.vendor)).toBe('Later Vendor');
  });

  test('a header without a region (legacy rpm) parses', () => {
    const blob = buildBlob(basic(), [], false);
    expect(blob.readInt32BE(entryAt(0))).toBe(TAG.name);
    expect(packageFromHeader(parseHeaderBlob(blob)).name).toBe('openssl-libs');
  });

  test('a blob shorter than its preamble', () => {
    expectHeaderError(Buffer.from([0, 0, 0]), /3 bytes is too short/);
  });

  test('an index count beyond rpm’s limit', () => {
    const blob = buildBlob(basic());
    blob.writeUInt32BE(0x10000, 0);
    expectHeaderError(blob, /index count 65536 is outside 1\.\.65535/);
  });

  test('a data length beyond rpm’s limit', () => {
    const blob = buildBlob(basic());
    blob.writeUInt32BE(0x10000000, 4);
    expectHeaderError(blob, /data length 268435456 exceeds/);
  });

  test('a blob longer or shorter than its index and data make', () => {
    const blob = buildBlob(basic());
    expectHeaderError(blob.subarray(0, blob.length - 1), new RegExp(`is ${blob.length - 1} bytes but 7 index entries and \\d+ data bytes make ${blob.length}`));
    expectHeaderError(Buffer.concat([blob, Buffer.alloc(4)]), /is \d+ bytes but 7 index entries/);
  });

  test('an entry offset outside the data store', () => {
    const blob = buildBlob(basic());
    blob.writeInt32BE(5000, entryAt(1) + 8);
    expectHeaderError(blob, /index entry 1 \(tag 1000\) data offset 5000 is outside the \d+-byte data store/);
    blob.writeInt32BE(-4, entryAt(1) + 8);
    expectHeaderError(blob, /index entry 1 \(tag 1000\) data offset -4 is outside/);
  });

  test('a string without its terminating NUL', () => {
    const blob = buildBlob(basic(), [], false);
    const last = blob.length - 1;
    expect(blob[last]).toBe(0);
    blob[last] = 0x41;
    expectHeaderError(blob, /tag 1011: string 1 of 1 at data offset \d+ has no terminating NUL/);
  });

  test('a string array whose count runs past the data', () => {
    const blob = buildBlob([...basic(), strings(TAG.summary, HeaderType.StringArray, ['x', 'y'])], [], false);
    blob.writeUInt32BE(50, entryAt(6) + 12);
    expectHeaderError(blob, /tag 1004: string 3 of 50 at data offset \d+ has no terminating NUL/);
  });

  test('a STRING entry with a count other than 1', () => {
    const blob = buildBlob(basic(), [], false);
    blob.writeUInt32BE(2, entryAt(0) + 12);
    expectHeaderError(blob, /index entry 0 \(tag 1000\) is a STRING with count 2/);
  });

  test('an INT32 entry whose count runs past the data', () => {
    const blob = buildBlob([...basic(), int32(TAG.epoch, 1)], [], false);
    blob.writeUInt32BE(1000, entryAt(6) + 12);
    expectHeaderError(blob, /index entry 6 \(tag 1003\) needs 4000 bytes at data offset \d+, beyond the \d+-byte data store/);
  });

  test('a misaligned INT32 entry', () => {
    const blob = buildBlob([...basic(), int32(TAG.epoch, 1)], [], false);
    const offset = blob.readInt32BE(entryAt(6) + 8);
    blob.writeInt32BE(offset - 1, entryAt(6) + 8);
    expectHeaderError(blob, new RegExp(`index entry 6 \\(tag 1003\\) data offset ${offset - 1} is not aligned to 4 bytes`));
  });

  test('an unknown type and a zero count', () => {
    const unknown = buildBlob(basic());
    unknown.writeUInt32BE(10, entryAt(1) + 4);
    expectHeaderError(unknown, /index entry 1 \(tag 1000\) has unknown type 10/);
    const empty = buildBlob(basic());
    empty.writeUInt32BE(0, entryAt(1) + 12);
    expectHeaderError(empty, /index entry 1 \(tag 1000\) has a count of 0/);
  });

  test('a region trailer outside the data store', () => {
    const blob = buildBlob(basic());
    blob.writeInt32BE(blob.readUInt32BE(4) - 8, entryAt(0) + 8);
    expectHeaderError(blob, /region tag 63 trailer at data offset \d+ runs past the \d+-byte data store/);
  });

  test('a region trailer with the wrong tag, type or span', () => {
    const trailerAt = (blob: Buffer): number => dataStart(blob) + blob.readInt32BE(entryAt(0) + 8);
    const wrongTag = buildBlob(basic());
    wrongTag.writeInt32BE(1000, trailerAt(wrongTag));
    expectHeaderError(wrongTag, /region tag 63 trailer carries tag 1000/);
    const wrongType = buildBlob(basic());
    wrongType.writeUInt32BE(HeaderType.Int32, trailerAt(wrongType) + 4);
    expectHeaderError(wrongType, /region tag 63 trailer has type 4 and count 16/);
    const tooWide = buildBlob(basic());
    tooWide.writeInt32BE(-100 * 16, trailerAt(tooWide) + 8);
    expectHeaderError(tooWide, /region tag 63 trailer offset -1600 does not span 1\.\.7 index entries/);
    const unaligned = buildBlob(basic());
    unaligned.writeInt32BE(-20, trailerAt(unaligned) + 8);
    expectHeaderError(unaligned, /region tag 63 trailer offset -20 does not span/);
  });

  test('a region tag that is not a 16-byte BIN entry', () => {
    const blob = buildBlob(basic());
    blob.writeUInt32BE(8, entryAt(0) + 12);
    expectHeaderError(blob, /region tag 63 has type 7 and count 8, expected BIN and 16/);
  });
});

describe('adler32', () => {
  test('matches the RFC 1950 reference values', () => {
    expect(adler32(Buffer.alloc(0))).toBe(1);
    expect(adler32(Buffer.from('Wikipedia'))).toBe(0x11e60398);
    // Long enough to need the periodic modulo reduction; the value is zlib's adler32 of the same bytes.
    expect(adler32(Buffer.alloc(100000, 0xff))).toBe(0x149a302c);
  });
});
