import type { Ecosystem } from '../../inventory/types';

/**
 * One package manager's version ordering. The matcher asks "is the installed version older than
 * the fixed one?" millions of times per run, so every comparator works on the strings in place.
 */
export interface VersionScheme {
  readonly name: Ecosystem;
  /** Whether the string is a well-formed version of this scheme. */
  isValid(version: string): boolean;
  /**
   * -1, 0 or 1, exactly as the package manager orders them. Never throws: malformed input is
   * ordered as the package manager itself would, and isValid tells callers it is malformed.
   */
  compare(a: string, b: string): -1 | 0 | 1;
}
