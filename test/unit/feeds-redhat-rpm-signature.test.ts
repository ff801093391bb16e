import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AnalyzerError } from '../../src/errors';
import { rpmAnalyzer } from '../../src/scan/analyzers/rpm';
import { signatureKeyId } from '../../src/scan/analyzers/rpm/signature';

const FIXTURES = join(__dirname, '../fixtures');
const RSAHEADER = 268;

/** `nvra → key id` as Debian's rpm 4.18 printed `%{RSAHEADER:pgpsig}` for the RHEL 8.0 UBI database. */
function rpmTruth(): Map<string, string> {
  // Unsigned packages end their line with the separating tab: no trimming.
  const lines = readFileSync(join(FIXTURES, 'openscap/rhel-8.0-ubi-rsaheader-keys.tsv'), 'utf8')
    .split('\n')
    .filter((line) => line.length > 0)
    .slice(1);
  return new Map(lines.map((line) => line.split('\t') as [string, string]));
}

/** The gpg 2.2 detached signature: a version 4 packet, issuer fingerprint hashed, issuer key id unhashed. */
const gpgSignature = (): Buffer => readFileSync(join(FIXTURES, 'openscap/gpg-v4-detached.sig'));
const GPG_KEY_ID = '68af50658a0fe22c';

/** Rebuilds a version 4 signature packet with other subpacket areas (old-format header, 2-byte length). */
function v4Packet(hashed: Buffer, unhashed: Buffer): Buffer {
  const body = Buffer.concat([
    Buffer.from([4, 0x00, 1, 8]),
    Buffer.from([hashed.length >> 8, hashed.length & 0xff]),
    hashed,
    Buffer.from([unhashed.length >> 8, unhashed.length & 0xff]),
    unhashed,
    Buffer.from([0x9c, 0xa1, 0x00, 0x08, 0xff]),
  ]);
  return Buffer.concat([Buffer.from([0x89, body.length >> 8, body.length & 0xff]), body]);
}

const subpacket = (type: number, content: Buffer): Buffer => Buffer.concat([Buffer.from([content.length + 1, type]), content]);

describe('rpm signing key ids', () => {
  test('the analyzer reports the RSAHEADER key of all 99 signed packages of the RHEL 8.0 database, as rpm prints it', () => {
    const data = readFileSync(join(FIXTURES, 'pkgdb/rpm/rhel-8.0-ubi-bdb/Packages'));
    const packages = rpmAnalyzer.parse({ path: 'var/lib/rpm/Packages', data }).packageDb?.packages ?? [];
    const truth = rpmTruth();
    expect(packages).toHaveLength(truth.size);
    const seen = packages.map((p) => {
      const nvra = `${p.name}-${p.upstreamVersion}-${p.release}.${p.arch ?? '(none)'}`;
      expect(truth.has(nvra)).toBe(true);
      return [nvra, p.signatureKeyId ?? ''] as const;
    });
    expect(new Map(seen)).toEqual(truth);
    expect(seen.filter(([, key]) => key === '199e2f91fd431d51')).toHaveLength(99);
    // Imported public keys are headers without signatures.
    expect(seen.filter(([nvra, key]) => nvra.startsWith('gpg-pubkey-') && key === '')).toHaveLength(2);
  });

  test.each([
    // rpm 4.18 prints Key ID 0cd9fed33135ce90 for all 129 headers (query in test/fixtures/openscap/README.md).
    ['CBL-Mariner 2.0 SQLite', 'cbl-mariner-2.0-sqlite/rpmdb.sqlite', 'usr/lib/sysimage/rpm/rpmdb.sqlite', 129, '0cd9fed33135ce90'],
    // 70af9e8139db7c82: the SUSE package signing key (its short id 39DB7C82).
    ['SLES 15 SP3 NDB', 'sles-15.3-bci-ndb/Packages.db', 'usr/lib/sysimage/rpm/Packages.db', 35, '70af9e8139db7c82'],
  ])('%s: every package carries its vendor key', (_label, file, path, count, key) => {
    const data = readFileSync(join(FIXTURES, 'pkgdb/rpm', file));
    const packages = rpmAnalyzer.parse({ path, data }).packageDb?.packages ?? [];
    expect(packages).toHaveLength(count);
    expect(packages.filter((p) => p.signatureKeyId === key)).toHaveLength(count);
  });

  test('the analyzer version is 2, so layers cached before key ids were read are analyzed again', () => {
    expect(rpmAnalyzer.version).toBe(2);
  });

  test('a version 4 packet made by gpg: the issuer key id', () => {
    expect(signatureKeyId(gpgSignature(), RSAHEADER)).toBe(GPG_KEY_ID);
  });

  test('the same packet behind a new-format (tag 0xc2) header', () => {
    const old = gpgSignature();
    const body = old.subarray(3);
    // 192..8383-byte bodies take the two-octet new-format length.
    const length = body.length - 192;
    const reframed = Buffer.concat([Buffer.from([0xc2, (length >> 8) + 192, length & 0xff]), body]);
    expect(signatureKeyId(reframed, RSAHEADER)).toBe(GPG_KEY_ID);
  });

  test('a version 4 packet naming its key only by a version 4 fingerprint: the low 64 bits', () => {
    const fingerprint = Buffer.from('c8abeaa29559faf83537088268af50658a0fe22c', 'hex');
    const packet = v4Packet(subpacket(33, Buffer.concat([Buffer.from([4]), fingerprint])), Buffer.alloc(0));
    expect(signatureKeyId(packet, RSAHEADER)).toBe(GPG_KEY_ID);
  });

  test('the issuer subpacket wins over a fingerprint of another key', () => {
    const other = Buffer.alloc(20, 0x11);
    const packet = v4Packet(
      subpacket(33, Buffer.concat([Buffer.from([4]), other])),
      subpacket(16, Buffer.from('0123456789abcdef', 'hex')),
    );
    expect(signatureKeyId(packet, RSAHEADER)).toBe('0123456789abcdef');
  });

  test.each([
    ['no packet header bit', Buffer.from([0x05, 0x01, 0x03]), /does not start with a packet header/],
    ['a packet that is not a signature', Buffer.from([0x99, 0x00, 0x01, 0x04]), /packet of tag 6, not a signature/],
    ['a body longer than the tag data', Buffer.from([0x89, 0x02, 0x15, 0x03, 0x05]), /runs past the 5-byte tag data/],
    ['a partial body length', Buffer.from([0xc2, 0xe1, 0x00]), /partial body length/],
    ['version 5', Buffer.from([0x88, 0x02, 0x05, 0x00]), /has version 5; only versions 3 and 4/],
    ['a version 3 packet with a wrong hashed length', Buffer.from([0x88, 0x0f, 0x03, 0x04, ...Buffer.alloc(13)]), /version 3 packet is malformed/],
    ['a version 4 packet without an issuer', v4Packet(subpacket(2, Buffer.alloc(4)), Buffer.alloc(0)), /names no issuer key/],
    ['an issuer of 4 bytes', v4Packet(Buffer.alloc(0), subpacket(16, Buffer.alloc(4))), /issuer subpacket holds 4 bytes/],
    ['a subpacket longer than its area', v4Packet(Buffer.from([0x09, 0x10, 0x00]), Buffer.alloc(0)), /does not fit its area/],
  ])('%s is an AnalyzerError naming the tag', (_label, data, message) => {
    let caught: unknown;
    try {
      signatureKeyId(data, RSAHEADER);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(AnalyzerError);
    expect((caught as Error).message).toMatch(/^header blob: tag 268: OpenPGP signature /);
    expect((caught as Error).message).toMatch(message);
  });
});
