import type { OsInfo } from '../inventory/types';

/**
 * The advisory namespaces that speak for an image's OS release, most specific first. Feeds
 * name releases the way their distribution numbers them: Debian by major (debian:12), Ubuntu by
 * release (ubuntu:22.04), Alpine by branch (alpine:3.18), Red Hat and its rebuilds by major.
 */
export function namespacesFor(os: OsInfo | null): string[] {
  if (!os?.id || !os.version) return [];
  const major = os.version.split('.')[0];
  const branch = os.version.split('.').slice(0, 2).join('.');
  switch (os.id) {
    case 'debian':
      return /^\d+$/.test(major) ? [`debian:${major}`] : [];
    case 'ubuntu':
      return [`ubuntu:${branch}`];
    case 'alpine':
      return [`alpine:${branch}`];
    case 'rhel':
      return [`rhel:${major}`];
    // CentOS is rebuilt from RHEL sources and patched on the same versions: Red Hat's data applies.
    case 'centos':
      return [`centos:${major}`, `rhel:${major}`];
    case 'rocky':
    case 'almalinux':
    case 'ol':
      return [`${os.id}:${major}`];
    case 'sles':
    case 'opensuse-leap':
      return [`${os.id}:${branch}`];
    default:
      return [`${os.id}:${os.version}`];
  }
}
