import { AnalyzerError } from '../../../errors';

/**
 * The issuer key id of the OpenPGP signature packet rpm stores in a header's signature tags
 * (RFC 4880 section 4.2 for the packet framing, 5.2 for version 3 and 4 signatures).
 */

const SIGNATURE_PACKET_TAG = 2;
const SUBPACKET_ISSUER = 16;
const SUBPACKET_ISSUER_FINGERPRINT = 33;
const KEY_ID_LENGTH = 8;
const V4_FINGERPRINT_LENGTH = 20;

function fail(tag: number, message: string): never {
  throw new AnalyzerError(`header blob: tag ${tag}: OpenPGP signature ${message}`);
}

/** Where the packet body starts and ends, from an old- or new-format packet header. */
function packetBody(data: Buffer, tag: number): { start: number; end: number } {
  const first = data[0];
  if (first === undefined || (first & 0x80) === 0) fail(tag, 'does not start with a packet header');
  let packetTag: number;
  let start: number;
  let length: number;
  if (first & 0x40) {
    packetTag = first & 0x3f;
    const o1 = data[1];
    if (o1 === undefined) fail(tag, 'is cut inside its packet length');
    if (o1 < 192) {
      start = 2;
      length = o1;
    } else if (o1 < 224) {
      if (data.length < 3) fail(tag, 'is cut inside its packet length');
      start = 3;
      length = ((o1 - 192) << 8) + (data[2] as number) + 192;
    } else if (o1 === 255) {
      if (data.length < 6) fail(tag, 'is cut inside its packet length');
      start = 6;
      length = data.readUInt32BE(2);
    } else {
      fail(tag, 'uses a partial body length, which signature packets may not');
    }
  } else {
    packetTag = (first >> 2) & 0x0f;
    const lengthType = first & 0x03;
    if (lengthType === 3) {
      start = 1;
      length = data.length - 1;
    } else {
      const size = 1 << lengthType;
      if (data.length < 1 + size) fail(tag, 'is cut inside its packet length');
      start = 1 + size;
      length = data.readUIntBE(1, size);
    }
  }
  if (packetTag !== SIGNATURE_PACKET_TAG) fail(tag, `is a packet of tag ${packetTag}, not a signature (2)`);
  if (start + length > data.length) fail(tag, `packet of ${length} bytes runs past the ${data.length}-byte tag data`);
  return { start, end: start + length };
}

interface Issuer {
  keyId?: string;
  /** Key id taken from an issuer fingerprint subpacket, used only when no issuer subpacket names one. */
  fromFingerprint?: string;
}

/** Reads the issuer and issuer-fingerprint subpackets of one subpacket area into `found`. */
function readIssuer(body: Buffer, from: number, to: number, tag: number, found: Issuer): void {
  let at = from;
  while (at < to) {
    const o1 = body[at] as number;
    let length: number;
    if (o1 < 192) {
      length = o1;
      at += 1;
    } else if (o1 < 255) {
      if (at + 2 > to) fail(tag, 'subpacket length runs past its area');
      length = ((o1 - 192) << 8) + (body[at + 1] as number) + 192;
      at += 2;
    } else {
      if (at + 5 > to) fail(tag, 'subpacket length runs past its area');
      length = body.readUInt32BE(at + 1);
      at += 5;
    }
    if (length === 0 || at + length > to) fail(tag, `subpacket of ${length} bytes does not fit its area`);
    const type = (body[at] as number) & 0x7f;
    const content = body.subarray(at + 1, at + length);
    if (type === SUBPACKET_ISSUER) {
      if (content.length !== KEY_ID_LENGTH) fail(tag, `issuer subpacket holds ${content.length} bytes, not 8`);
      found.keyId ??= content.toString('hex');
    } else if (type === SUBPACKET_ISSUER_FINGERPRINT && content[0] === 4 && content.length === 1 + V4_FINGERPRINT_LENGTH) {
      // A version 4 key's id is the low 64 bits of its fingerprint.
      found.fromFingerprint ??= content.subarray(content.length - KEY_ID_LENGTH).toString('hex');
    }
    at += length;
  }
}

/**
 * The 16 lower-case hex digits of the key that made the signature in `data`, the content of the
 * header tag `tag` (used in error messages). Throws AnalyzerError for data that is not a readable
 * version 3 or 4 signature packet, or a version 4 one that names no issuer.
 */
export function signatureKeyId(data: Buffer, tag: number): string {
  const { start, end } = packetBody(data, tag);
  const body = data.subarray(start, end);
  const version = body[0];
  if (version === 3) {
    // version, hashed length (always 5), type, creation time (4), key id (8)
    if (body.length < 15 || body[1] !== 5) fail(tag, 'version 3 packet is malformed');
    return body.subarray(7, 15).toString('hex');
  }
  if (version !== 4) fail(tag, `has version ${version}; only versions 3 and 4 are read`);
  // version, type, public-key algorithm, hash algorithm, hashed subpacket length (2)
  if (body.length < 6) fail(tag, 'version 4 packet is cut before its hashed subpackets');
  const hashedEnd = 6 + body.readUInt16BE(4);
  if (hashedEnd + 2 > body.length) fail(tag, 'hashed subpackets run past the packet');
  const unhashedEnd = hashedEnd + 2 + body.readUInt16BE(hashedEnd);
  if (unhashedEnd > body.length) fail(tag, 'unhashed subpackets run past the packet');
  // rpm takes the key id from the issuer subpacket, wherever it is; gpg puts it in the unhashed area.
  const found: Issuer = {};
  readIssuer(body, 6, hashedEnd, tag, found);
  readIssuer(body, hashedEnd + 2, unhashedEnd, tag, found);
  const keyId = found.keyId ?? found.fromFingerprint;
  if (keyId === undefined) fail(tag, 'names no issuer key');
  return keyId;
}
