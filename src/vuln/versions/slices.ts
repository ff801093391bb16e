/**
 * Character tests and comparisons over `[start, end)` ranges of a string. The comparators walk
 * versions by index instead of splitting them, so a comparison allocates no substrings.
 */

export const DIGIT_0 = 0x30;
const DIGIT_9 = 0x39;

export function isDigit(code: number): boolean {
  return code >= DIGIT_0 && code <= DIGIT_9;
}

export function isLowerLetter(code: number): boolean {
  return code >= 0x61 && code <= 0x7a;
}

/** ASCII letters only: the package managers use the C locale's classes. */
export function isLetter(code: number): boolean {
  const lower = code | 0x20;
  return lower >= 0x61 && lower <= 0x7a;
}

/** memcmp-then-length order (C's strcmp on the two ranges): a proper prefix sorts first. */
export function compareRanges(a: string, aStart: number, aEnd: number, b: string, bStart: number, bEnd: number): -1 | 0 | 1 {
  const aLength = aEnd - aStart;
  const bLength = bEnd - bStart;
  const common = aLength < bLength ? aLength : bLength;
  for (let k = 0; k < common; k++) {
    const ca = a.charCodeAt(aStart + k);
    const cb = b.charCodeAt(bStart + k);
    if (ca !== cb) return ca < cb ? -1 : 1;
  }
  if (aLength === bLength) return 0;
  return aLength < bLength ? -1 : 1;
}

/**
 * Two runs of decimal digits compared as numbers of any length: leading zeros dropped, then the
 * longer run is larger, then digit by digit. Never converts, so no run can overflow.
 */
export function compareDigitRuns(a: string, aStart: number, aEnd: number, b: string, bStart: number, bEnd: number): -1 | 0 | 1 {
  while (aStart < aEnd && a.charCodeAt(aStart) === DIGIT_0) aStart++;
  while (bStart < bEnd && b.charCodeAt(bStart) === DIGIT_0) bStart++;
  const aLength = aEnd - aStart;
  const bLength = bEnd - bStart;
  if (aLength !== bLength) return aLength < bLength ? -1 : 1;
  return compareRanges(a, aStart, aEnd, b, bStart, bEnd);
}
