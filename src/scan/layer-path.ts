/**
 * Paths inside an image, as tar entries name them. Everything is compared in one normalized
 * form (no leading `/` or `./`, no `.` segments, `..` resolved) so that `./etc/os-release`,
 * `/etc/os-release` and `etc/./os-release` select the same file, and a `..` that would climb
 * out of the image root is refused instead of being matched against a wanted path.
 */
export function normalizeEntryPath(name: string): string | { escapes: true } {
  const out: string[] = [];
  for (const part of name.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (out.length === 0) return { escapes: true };
      out.pop();
      continue;
    }
    out.push(part);
  }
  return out.join('/');
}

/** Where a symlink found at `linkPath` points, inside the image root; absolute targets are root-relative. */
export function resolveLinkTarget(linkPath: string, target: string): string {
  const dir = linkPath.includes('/') ? linkPath.slice(0, linkPath.lastIndexOf('/')) : '';
  // `..` at the root stays at the root, as the kernel resolves it: a link can't point outside.
  const parts: string[] = dir && !target.startsWith('/') ? dir.split('/') : [];
  for (const part of target.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') parts.pop();
    else parts.push(part);
  }
  return parts.join('/');
}

export const WHITEOUT_PREFIX = '.wh.';
export const OPAQUE_WHITEOUT = '.wh..wh..opq';

export type Whiteout = { kind: 'opaque'; dir: string } | { kind: 'delete'; path: string } | undefined;

/** Reads the OCI/AUFS whiteout convention from a normalized entry path. */
export function whiteoutOf(path: string): Whiteout {
  const slash = path.lastIndexOf('/');
  const dir = slash >= 0 ? path.slice(0, slash) : '';
  const base = slash >= 0 ? path.slice(slash + 1) : path;
  if (base === OPAQUE_WHITEOUT) return { kind: 'opaque', dir };
  if (base.startsWith(WHITEOUT_PREFIX)) {
    const name = base.slice(WHITEOUT_PREFIX.length);
    return { kind: 'delete', path: dir ? `${dir}/${name}` : name };
  }
  return undefined;
}

/** True when `path` is `dir` itself or lies below it; the root ('') contains everything. */
export function isWithin(path: string, dir: string): boolean {
  return dir === '' || path === dir || path.startsWith(`${dir}/`);
}
