import type { VersionScheme } from './scheme';
import { DIGIT_0, compareRanges, isDigit, isLowerLetter } from './slices';

/**
 * Alpine versions `number{.number}…{letter}{_suffix{number}}…{~hash}{-r#}` (apk-package(5)),
 * ordered as apk-tools 3 orders them. Both versions are read token by token; each token kind
 * may only follow certain kinds, and a character that fits nowhere makes the rest of the
 * version an "invalid" token. Comparison walks both token streams while their kinds agree:
 * - numbers compare as numbers, except that a dot-number with a leading zero on either side
 *   compares as a string (`1.02` < `1.1`, `8.2.0` < `8.2.001`);
 * - the letter by its character, suffixes by the order alpha, beta, pre, rc, (none), cvs, svn,
 *   git, hg, p, commit hashes as strings;
 * - when the kinds first differ, a pre-release suffix makes its side older; otherwise the side
 *   whose token kind comes later in the grammar (the end of the string or an invalid token
 *   being the latest) is older. Two versions that end, or turn invalid, at the same point
 *   are equal.
 * So invalid versions still get apk's order (`1.0` < `1.0bc`), as the corpus shows.
 */

const enum Token {
  InitialDigit,
  Digit,
  Letter,
  Suffix,
  SuffixNumber,
  CommitHash,
  Revision,
  End,
  Invalid,
}

/** Suffix words with their rank; the release itself ranks between rc and cvs. */
const SUFFIXES: ReadonlyArray<readonly [string, number]> = [
  ['alpha', 1],
  ['beta', 2],
  ['pre', 3],
  ['rc', 4],
  ['cvs', 6],
  ['svn', 7],
  ['git', 8],
  ['hg', 9],
  ['p', 10],
];
const NO_SUFFIX = 5;
const INVALID_SUFFIX = 0;

const DOT = 0x2e;
const UNDERSCORE = 0x5f;
const TILDE = 0x7e;
const HYPHEN = 0x2d;
const LOWER_R = 0x72;

/** Digit runs up to this length are exact as doubles; longer ones go through BigInt. */
const SAFE_DIGITS = 15;

interface TokenState {
  token: Token;
  /** Where the next token starts. */
  position: number;
  /** The characters of the current token (digits, letter, suffix word or hash). */
  start: number;
  end: number;
  /** Numeric tokens: the value, wrapped to 64 bits as apk's uint64_t wraps it. */
  value: number | bigint;
  suffix: number;
}

function isHexDigit(code: number): boolean {
  return isDigit(code) || (code >= 0x61 && code <= 0x66);
}

function suffixRank(version: string, start: number, end: number): number {
  const length = end - start;
  for (const [word, rank] of SUFFIXES) {
    if (word.length === length && version.startsWith(word, start)) return rank;
  }
  return INVALID_SUFFIX;
}

function readDigits(state: TokenState, version: string): void {
  const start = state.position;
  let end = start;
  while (end < version.length && isDigit(version.charCodeAt(end))) end++;
  state.start = start;
  state.end = end;
  state.position = end;
  if (end === start) {
    state.token = Token.Invalid;
  } else if (end - start <= SAFE_DIGITS) {
    let value = 0;
    for (let i = start; i < end; i++) value = value * 10 + (version.charCodeAt(i) - DIGIT_0);
    state.value = value;
  } else {
    state.value = BigInt.asUintN(64, BigInt(version.slice(start, end)));
  }
}

function first(state: TokenState, version: string): void {
  state.token = Token.InitialDigit;
  state.position = 0;
  readDigits(state, version);
}

function next(state: TokenState, version: string): void {
  const position = state.position;
  if (position >= version.length) {
    state.token = Token.End;
    return;
  }
  const code = version.charCodeAt(position);
  const previous = state.token;
  if (isLowerLetter(code)) {
    if (previous > Token.Digit) {
      state.token = Token.Invalid;
      return;
    }
    state.token = Token.Letter;
    state.start = position;
    state.end = position + 1;
    state.position = position + 1;
  } else if (code === DOT || isDigit(code)) {
    if (code === DOT) {
      if (previous > Token.Digit) {
        state.token = Token.Invalid;
        return;
      }
      state.position = position + 1;
    }
    if (previous === Token.InitialDigit || previous === Token.Digit) {
      state.token = Token.Digit;
    } else if (previous === Token.Suffix) {
      state.token = Token.SuffixNumber;
    } else {
      state.token = Token.Invalid;
      return;
    }
    readDigits(state, version);
  } else if (code === UNDERSCORE) {
    if (previous > Token.SuffixNumber) {
      state.token = Token.Invalid;
      return;
    }
    let end = position + 1;
    while (end < version.length && isLowerLetter(version.charCodeAt(end))) end++;
    state.start = position + 1;
    state.end = end;
    state.position = end;
    state.suffix = suffixRank(version, position + 1, end);
    state.token = state.suffix === INVALID_SUFFIX ? Token.Invalid : Token.Suffix;
  } else if (code === TILDE && previous < Token.CommitHash) {
    let end = position + 1;
    while (end < version.length && isHexDigit(version.charCodeAt(end))) end++;
    state.start = position + 1;
    state.end = end;
    state.position = end;
    state.token = end === position + 1 ? Token.Invalid : Token.CommitHash;
  } else if (code === HYPHEN && previous < Token.Revision && version.charCodeAt(position + 1) === LOWER_R) {
    state.token = Token.Revision;
    state.position = position + 2;
    readDigits(state, version);
  } else {
    state.token = Token.Invalid;
  }
}

function compareTokens(a: string, ta: TokenState, b: string, tb: TokenState): -1 | 0 | 1 {
  switch (ta.token) {
    case Token.Digit:
      // A leading zero on either side turns the numbers into strings (the Gentoo rule).
      if (a.charCodeAt(ta.start) === DIGIT_0 || b.charCodeAt(tb.start) === DIGIT_0) {
        return compareRanges(a, ta.start, ta.end, b, tb.start, tb.end);
      }
      return compareValues(ta.value, tb.value);
    case Token.InitialDigit:
    case Token.SuffixNumber:
    case Token.Revision:
      return compareValues(ta.value, tb.value);
    case Token.Letter:
      return compareValues(a.charCodeAt(ta.start), b.charCodeAt(tb.start));
    case Token.Suffix:
      return compareValues(ta.suffix, tb.suffix);
    default:
      return compareRanges(a, ta.start, ta.end, b, tb.start, tb.end);
  }
}

function compareValues(x: number | bigint, y: number | bigint): -1 | 0 | 1 {
  if (x < y) return -1;
  return x > y ? 1 : 0;
}

function newState(): TokenState {
  return { token: Token.InitialDigit, position: 0, start: 0, end: 0, value: 0, suffix: NO_SUFFIX };
}

// Reused by every call: compare never re-enters itself, and fresh objects per call would be
// the only allocation left in the hot path.
const left = newState();
const right = newState();

export const apkScheme: VersionScheme = {
  name: 'apk',

  isValid(version: string): boolean {
    first(left, version);
    while (left.token < Token.End) next(left, version);
    return left.token === Token.End;
  },

  compare(a: string, b: string): -1 | 0 | 1 {
    if (a === b) return 0;
    first(left, a);
    first(right, b);
    while (left.token === right.token && left.token < Token.End) {
      const order = compareTokens(a, left, b, right);
      if (order !== 0) return order;
      next(left, a);
      next(right, b);
    }
    if (left.token === right.token) return 0;
    if (left.token === Token.Suffix && left.suffix < NO_SUFFIX) return -1;
    if (right.token === Token.Suffix && right.suffix < NO_SUFFIX) return 1;
    return left.token > right.token ? -1 : 1;
  },
};
