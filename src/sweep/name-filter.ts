import { globToRegExp } from '../policy/patterns';

/**
 * Which repositories or tags of a source are swept: a name is kept when it matches an `include`
 * pattern and no `exclude` pattern. A pattern is a glob where `*` matches any run of characters,
 * `/` included, so the default `*` keeps nested repositories (`team/app/api`) and `library/*`
 * keeps everything below `library/`; every other character matches itself, so a pattern without
 * `*` is an exact name. This is the same `*` as the image patterns of `policies.allowedRegistries`.
 */
export interface NameFilter {
  matches(name: string): boolean;
}

export function nameFilter(patterns: { include: readonly string[]; exclude: readonly string[] }): NameFilter {
  const include = patterns.include.map(globToRegExp);
  const exclude = patterns.exclude.map(globToRegExp);
  return {
    matches: (name) => include.some((re) => re.test(name)) && !exclude.some((re) => re.test(name)),
  };
}
