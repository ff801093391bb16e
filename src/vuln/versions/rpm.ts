import type { VersionScheme } from './scheme';
import { compareDigitRuns, compareRanges, isDigit, isLetter } from './slices';

/**
 * rpm versions `[epoch:]version[-release]`, ordered as rpm's rpmverCmp orders two EVR strings
 * (what `rpm.vercmp()` answers in rpm's Lua): epochs, then versions, then releases, each with
 * rpmvercmp. The split is rpm's parseEVR: an epoch is the run of digits before a colon at
 * the very start (an empty one reads as 0), the release follows the last hyphen.
 *
 * A release missing on one side: rpm's dependency check (rpmdsCompare) lets a missing release
 * match any release, but that is a range test, not an order — `1.0` would equal both `1.0-1`
 * and `1.0-2` while those two differ. We order as rpmverCmp does instead: the side without a
 * release is the older one (`1.0` < `1.0-1`, even `1.0` < `1.0-`), which keeps the order total
 * for sorting. Installed packages (the rpmdb always has a release) and "fixed in" versions from
 * OVAL and CSAF carry one, and where both sides have a release the two rules agree.
 */

interface Parts {
  epochEnd: number;
  versionStart: number;
  versionEnd: number;
  /** -1 when there is no release (no hyphen at all). */
  releaseStart: number;
}

const TILDE = 0x7e;
const CARET = 0x5e;
const COLON = 0x3a;
const END = -1;

function isAlphanumeric(code: number): boolean {
  return isDigit(code) || isLetter(code);
}

function isSeparator(code: number): boolean {
  return !isAlphanumeric(code) && code !== TILDE && code !== CARET;
}

function split(evr: string, parts: Parts): void {
  let digits = 0;
  while (digits < evr.length && isDigit(evr.charCodeAt(digits))) digits++;
  const hasEpoch = evr.charCodeAt(digits) === COLON;
  parts.epochEnd = hasEpoch ? digits : 0;
  parts.versionStart = hasEpoch ? digits + 1 : 0;
  const hyphen = evr.lastIndexOf('-');
  if (hyphen >= digits) {
    parts.versionEnd = hyphen;
    parts.releaseStart = hyphen + 1;
  } else {
    parts.versionEnd = evr.length;
    parts.releaseStart = -1;
  }
}

/** Where the run of digits (or of letters) starting at `i` ends. */
function segmentEnd(version: string, i: number, end: number, numeric: boolean): number {
  if (numeric) {
    while (i < end && isDigit(version.charCodeAt(i))) i++;
  } else {
    while (i < end && isLetter(version.charCodeAt(i))) i++;
  }
  return i;
}

/**
 * rpmvercmp over two ranges: separators are skipped, then the next all-digit or all-letter
 * segments are compared (digits as numbers, letters as strings, a number newer than letters);
 * `~` sorts before anything, even the end; `^` sorts after the end but before anything else.
 */
function rpmvercmp(a: string, i: number, aEnd: number, b: string, j: number, bEnd: number): -1 | 0 | 1 {
  while (i < aEnd || j < bEnd) {
    while (i < aEnd && isSeparator(a.charCodeAt(i))) i++;
    while (j < bEnd && isSeparator(b.charCodeAt(j))) j++;
    const ca = i < aEnd ? a.charCodeAt(i) : END;
    const cb = j < bEnd ? b.charCodeAt(j) : END;

    if (ca === TILDE || cb === TILDE) {
      if (ca !== TILDE) return 1;
      if (cb !== TILDE) return -1;
      i++;
      j++;
      continue;
    }
    if (ca === CARET || cb === CARET) {
      if (ca === END) return -1;
      if (cb === END) return 1;
      if (ca !== CARET) return 1;
      if (cb !== CARET) return -1;
      i++;
      j++;
      continue;
    }
    if (ca === END || cb === END) break;

    const numeric = isDigit(ca);
    const aSegmentEnd = segmentEnd(a, i + 1, aEnd, numeric);
    const bSegmentEnd = segmentEnd(b, j, bEnd, numeric);
    // Segments of different kinds: the numeric one is newer.
    if (bSegmentEnd === j) return numeric ? 1 : -1;

    const order = numeric
      ? compareDigitRuns(a, i, aSegmentEnd, b, j, bSegmentEnd)
      : compareRanges(a, i, aSegmentEnd, b, j, bSegmentEnd);
    if (order !== 0) return order;
    i = aSegmentEnd;
    j = bSegmentEnd;
  }
  if (i >= aEnd && j >= bEnd) return 0;
  return i >= aEnd ? -1 : 1;
}

function allowedInVersion(code: number): boolean {
  // 0x2e '.', 0x5f '_', 0x2b '+': the characters rpmbuild accepts besides letters, digits, ~ and ^.
  return isAlphanumeric(code) || code === 0x2e || code === 0x5f || code === 0x2b || code === TILDE || code === CARET;
}

function validRange(evr: string, start: number, end: number): boolean {
  if (start >= end) return false;
  for (let i = start; i < end; i++) if (!allowedInVersion(evr.charCodeAt(i))) return false;
  return true;
}

// Reused by every call: compare never re-enters itself, and fresh objects per call would be
// the only allocation left in the hot path.
const left: Parts = { epochEnd: 0, versionStart: 0, versionEnd: 0, releaseStart: -1 };
const right: Parts = { epochEnd: 0, versionStart: 0, versionEnd: 0, releaseStart: -1 };

export const rpmScheme: VersionScheme = {
  name: 'rpm',

  isValid(evr: string): boolean {
    split(evr, left);
    if (left.versionStart > 0 && left.epochEnd === 0) return false;
    if (!validRange(evr, left.versionStart, left.versionEnd)) return false;
    return left.releaseStart < 0 || validRange(evr, left.releaseStart, evr.length);
  },

  compare(a: string, b: string): -1 | 0 | 1 {
    if (a === b) return 0;
    split(a, left);
    split(b, right);
    const epoch = compareDigitRuns(a, 0, left.epochEnd, b, 0, right.epochEnd);
    if (epoch !== 0) return epoch;
    const version = rpmvercmp(a, left.versionStart, left.versionEnd, b, right.versionStart, right.versionEnd);
    if (version !== 0) return version;
    if (left.releaseStart < 0 || right.releaseStart < 0) {
      if (left.releaseStart === right.releaseStart) return 0;
      return left.releaseStart < 0 ? -1 : 1;
    }
    return rpmvercmp(a, left.releaseStart, a.length, b, right.releaseStart, b.length);
  },
};
