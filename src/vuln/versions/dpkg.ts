import type { VersionScheme } from './scheme';
import { DIGIT_0, isDigit, isLetter } from './slices';

/**
 * Debian versions `[epoch:]upstream[-revision]`, ordered as dpkg orders them: epochs as
 * integers, then upstream and revision with dpkg's verrevcmp. The revision starts after the
 * last hyphen; an epoch needs a colon, which makes colons in the upstream part legal.
 *
 * The split follows dpkg's parseversion: leading and trailing blanks (space, tab) are ignored;
 * other whitespace is an ordinary character, except before the epoch, where strtol skips it.
 * Where parseversion warns (upstream not starting with a digit, characters outside
 * `[A-Za-z0-9.+~:-]`, or `[A-Za-z0-9.+~]` in the revision), `dpkg --compare-versions` still
 * compares the parsed parts, and so do we. Where it refuses the string outright, dpkg gives no
 * order at all; we keep going with what the split found so that any two strings still have
 * one consistent order:
 * - empty or blank: "no version", below every version, as `dpkg --compare-versions` ranks an
 *   empty argument (it is below even `~`);
 * - an epoch that is empty, not a number, negative or above INT_MAX: no epoch, the colon and
 *   what precedes it belong to the upstream part;
 * - nothing after the epoch's colon, or after the revision's hyphen: that part is empty;
 * - blanks inside the version: kept as ordinary characters.
 */

interface Parts {
  /** -1 for "no version", so that it sorts before every real epoch. */
  epoch: number;
  upstreamStart: number;
  upstreamEnd: number;
  revisionStart: number;
  revisionEnd: number;
}

const INT_MAX = 2147483647;
const TILDE = 0x7e;
const HYPHEN = 0x2d;
const PLUS = 0x2b;
const DOT = 0x2e;
const COLON = 0x3a;

function isBlank(code: number): boolean {
  return code === 0x20 || code === 0x09;
}

/** C's isspace, which strtol skips. */
function isSpace(code: number): boolean {
  return code === 0x20 || (code >= 0x09 && code <= 0x0d);
}

/** The epoch before the colon, as strtol reads it; -1 where parseversion would reject it. */
function readEpoch(version: string, start: number, colon: number): number {
  let i = start;
  while (i < colon && isSpace(version.charCodeAt(i))) i++;
  const sign = version.charCodeAt(i);
  const negative = sign === HYPHEN;
  if (negative || sign === PLUS) i++;
  if (i === colon) return -1;
  let value = 0;
  for (; i < colon; i++) {
    const code = version.charCodeAt(i);
    if (!isDigit(code)) return -1;
    value = value * 10 + (code - DIGIT_0);
    if (value > INT_MAX) return -1;
  }
  return negative && value !== 0 ? -1 : value;
}

/** Fills `parts`; returns whether dpkg's parseversion accepts the string without an error. */
function split(version: string, parts: Parts): boolean {
  const length = version.length;
  let start = 0;
  while (start < length && isBlank(version.charCodeAt(start))) start++;
  let end = length;
  while (end > start && isBlank(version.charCodeAt(end - 1))) end--;

  // One pass finds the first colon, the last hyphen and any blank inside the version.
  let colon = -1;
  let hyphen = -1;
  let ok = start < end;
  for (let i = start; i < end; i++) {
    const code = version.charCodeAt(i);
    if (code === COLON) {
      if (colon < 0) colon = i;
    } else if (code === HYPHEN) {
      hyphen = i;
    } else if (isBlank(code)) {
      ok = false;
    }
  }

  parts.epoch = start < end ? 0 : -1;
  let upstreamStart = start;
  if (colon >= 0) {
    const epoch = readEpoch(version, start, colon);
    if (epoch < 0) {
      ok = false;
    } else {
      parts.epoch = epoch;
      upstreamStart = colon + 1;
    }
  }

  if (hyphen >= upstreamStart) {
    parts.upstreamEnd = hyphen;
    parts.revisionStart = hyphen + 1;
    if (hyphen + 1 === end) ok = false;
  } else {
    parts.upstreamEnd = end;
    parts.revisionStart = end;
  }
  parts.upstreamStart = upstreamStart;
  parts.revisionEnd = end;
  if (parts.upstreamEnd === upstreamStart) ok = false;
  return ok;
}

/** `[A-Za-z0-9.+~]`, plus `-` and `:` in the upstream part. */
function allowedIn(code: number, upstream: boolean): boolean {
  if (isDigit(code) || isLetter(code) || code === DOT || code === PLUS || code === TILDE) return true;
  return upstream && (code === HYPHEN || code === COLON);
}

function charactersValid(version: string, parts: Parts): boolean {
  if (!isDigit(version.charCodeAt(parts.upstreamStart))) return false;
  for (let i = parts.upstreamStart + 1; i < parts.upstreamEnd; i++) {
    if (!allowedIn(version.charCodeAt(i), true)) return false;
  }
  for (let i = parts.revisionStart; i < parts.revisionEnd; i++) {
    if (!allowedIn(version.charCodeAt(i), false)) return false;
  }
  return true;
}

/**
 * dpkg's weight of one character in a non-digit run: `~` below the end of the run, the end
 * below letters, letters below everything else. dpkg weighs UTF-8 bytes; weighing code points
 * (surrogate pairs lifted above the rest of the BMP) gives the same order.
 */
function weight(version: string, i: number, end: number): number {
  if (i >= end) return 0;
  const code = version.charCodeAt(i);
  if (isDigit(code)) return 0;
  if (isLetter(code)) return code;
  if (code === TILDE) return -1;
  if (code >= 0xd800 && code <= 0xdfff) return code + 0x10000 + 256;
  return code + 256;
}

/** dpkg's verrevcmp over two ranges: alternating non-digit runs (by weight) and digit runs (as numbers). */
function verrevcmp(a: string, i: number, aEnd: number, b: string, j: number, bEnd: number): -1 | 0 | 1 {
  while (i < aEnd || j < bEnd) {
    while ((i < aEnd && !isDigit(a.charCodeAt(i))) || (j < bEnd && !isDigit(b.charCodeAt(j)))) {
      const wa = weight(a, i, aEnd);
      const wb = weight(b, j, bEnd);
      if (wa !== wb) return wa < wb ? -1 : 1;
      i++;
      j++;
    }
    while (i < aEnd && a.charCodeAt(i) === DIGIT_0) i++;
    while (j < bEnd && b.charCodeAt(j) === DIGIT_0) j++;
    let firstDifference = 0;
    while (i < aEnd && j < bEnd) {
      const ca = a.charCodeAt(i);
      const cb = b.charCodeAt(j);
      if (!isDigit(ca) || !isDigit(cb)) break;
      if (firstDifference === 0) firstDifference = ca - cb;
      i++;
      j++;
    }
    if (i < aEnd && isDigit(a.charCodeAt(i))) return 1;
    if (j < bEnd && isDigit(b.charCodeAt(j))) return -1;
    if (firstDifference !== 0) return firstDifference < 0 ? -1 : 1;
  }
  return 0;
}

// Reused by every call: compare never re-enters itself, and fresh objects per call would be
// the only allocation left in the hot path.
const left: Parts = { epoch: 0, upstreamStart: 0, upstreamEnd: 0, revisionStart: 0, revisionEnd: 0 };
const right: Parts = { epoch: 0, upstreamStart: 0, upstreamEnd: 0, revisionStart: 0, revisionEnd: 0 };

export const dpkgScheme: VersionScheme = {
  name: 'dpkg',

  isValid(version: string): boolean {
    return split(version, left) && charactersValid(version, left);
  },

  compare(a: string, b: string): -1 | 0 | 1 {
    if (a === b) return 0;
    split(a, left);
    split(b, right);
    if (left.epoch !== right.epoch) return left.epoch < right.epoch ? -1 : 1;
    const upstream = verrevcmp(a, left.upstreamStart, left.upstreamEnd, b, right.upstreamStart, right.upstreamEnd);
    if (upstream !== 0) return upstream;
    return verrevcmp(a, left.revisionStart, left.revisionEnd, b, right.revisionStart, right.revisionEnd);
  },
};
