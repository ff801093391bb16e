import type { Header } from 'tar-stream';

type TarHeader = Partial<Header> & Pick<Header, 'name'>;

/**
 * One entry of a layer tarball, described by what it means to a union filesystem. Paths are
 * written into the tar exactly as given, so hostile names (`../../etc/passwd`, `/etc/shadow`)
 * reach the scanner unchanged.
 */
export type LayerEntry =
  | { type: 'file'; path: string; content: Buffer | string; mode?: number }
  | { type: 'dir'; path: string; mode?: number }
  | { type: 'symlink'; path: string; target: string }
  | { type: 'hardlink'; path: string; target: string }
  /** Deletes `path` inherited from lower layers (written as `dir/.wh.name`). */
  | { type: 'whiteout'; path: string }
  /** Hides everything lower layers put under `dir` (written as `dir/.wh..wh..opq`). */
  | { type: 'opaque'; dir: string };

/** Fixed so that the same entries always give the same layer digest. */
export const LAYER_MTIME = new Date('2024-01-01T00:00:00Z');

function whiteoutName(path: string): string {
  const slash = path.lastIndexOf('/');
  return slash < 0 ? `.wh.${path}` : `${path.slice(0, slash + 1)}.wh.${path.slice(slash + 1)}`;
}

function trimSlashes(dir: string): string {
  return dir.replace(/\/+$/, '');
}

/** The tar header and body that represent one entry. */
export function tarRecord(entry: LayerEntry): { header: TarHeader; body?: Buffer } {
  const base = { mtime: LAYER_MTIME, uid: 0, gid: 0, uname: 'root', gname: 'root' };
  switch (entry.type) {
    case 'file': {
      const body = Buffer.isBuffer(entry.content) ? entry.content : Buffer.from(entry.content, 'utf8');
      return { header: { ...base, name: entry.path, type: 'file', mode: entry.mode ?? 0o644, size: body.length }, body };
    }
    case 'dir':
      return { header: { ...base, name: `${trimSlashes(entry.path)}/`, type: 'directory', mode: entry.mode ?? 0o755 } };
    case 'symlink':
      return { header: { ...base, name: entry.path, type: 'symlink', linkname: entry.target, mode: 0o777 } };
    case 'hardlink':
      return { header: { ...base, name: entry.path, type: 'link', linkname: entry.target, mode: 0o644 } };
    case 'whiteout':
      return { header: { ...base, name: whiteoutName(trimSlashes(entry.path)), type: 'file', mode: 0o644, size: 0 }, body: Buffer.alloc(0) };
    case 'opaque':
      return { header: { ...base, name: `${trimSlashes(entry.dir)}/.wh..wh..opq`, type: 'file', mode: 0o644, size: 0 }, body: Buffer.alloc(0) };
  }
}
