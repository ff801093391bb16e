import type { Ecosystem } from '../../inventory/types';

/**
 * Namespaces name a distribution release the way an image reports it in os-release: lower-case
 * ID, a colon, and VERSION_ID cut to what the vendor versions its feeds by (debian:12,
 * ubuntu:22.04, alpine:3.18, rhel:8, sles:15.3). A feed entry whose release cannot be put in
 * those terms is skipped and counted, never guessed.
 */

/** Debian codenames and their release numbers (distro-info-data), for feeds that name suites. */
const DEBIAN_RELEASES: Readonly<Record<string, string>> = {
  buzz: '1.1',
  rex: '1.2',
  bo: '1.3',
  hamm: '2.0',
  slink: '2.1',
  potato: '2.2',
  woody: '3.0',
  sarge: '3.1',
  etch: '4',
  lenny: '5',
  squeeze: '6',
  wheezy: '7',
  jessie: '8',
  stretch: '9',
  buster: '10',
  bullseye: '11',
  bookworm: '12',
  trixie: '13',
  forky: '14',
  duke: '15',
};

/** `bookworm` → `12`; sid and experimental have no number and give undefined. */
export function debianReleaseNumber(codename: string): string | undefined {
  return Object.hasOwn(DEBIAN_RELEASES, codename) ? DEBIAN_RELEASES[codename] : undefined;
}

/** A Debian suite named by codename or number → `debian:N`. */
export function debianNamespace(release: string): string | undefined {
  const number = /^\d+(\.\d+)?$/.test(release) ? release : debianReleaseNumber(release.toLowerCase());
  return number === undefined ? undefined : `debian:${number}`;
}

/** An Alpine branch (`v3.18`, `3.18`, even `3.18.9`) → `alpine:3.18`; edge has no release. */
export function alpineNamespace(branch: string): string | undefined {
  const match = /^v?(\d+)\.(\d+)(\.\d+)?$/.exec(branch.trim());
  return match ? `alpine:${match[1]}.${match[2]}` : undefined;
}

export interface DistroNamespace {
  namespace: string;
  ecosystem: Ecosystem;
  /** A stream on top of the release that a scan cannot tell apart from it (Ubuntu Pro/ESM). */
  flavour?: string;
  /**
   * rpm families whose OSV package names are source rpms (Rocky, Alma, SUSE, openSUSE); dpkg
   * and apk advisories name source packages and origins by design and need no flag.
   */
  bySource?: boolean;
}

export type NamespaceResult = DistroNamespace | { skip: string };

function skip(reason: string): { skip: string } {
  return { skip: reason };
}

/**
 * The namespace of an OSV `affected[].package.ecosystem`, or why it has none. Language
 * ecosystems (PyPI, npm…) and distribution streams that an image cannot be matched to are
 * skipped.
 */
export function osvNamespace(ecosystem: string): NamespaceResult {
  const colon = ecosystem.indexOf(':');
  const family = colon < 0 ? ecosystem : ecosystem.slice(0, colon);
  const release = colon < 0 ? '' : ecosystem.slice(colon + 1);
  switch (family) {
    case 'Debian':
      return debianOsv(release);
    case 'Ubuntu':
      return ubuntuOsv(release);
    case 'Alpine':
      return alpineOsv(release);
    case 'Red Hat':
      return redHatOsv(release);
    case 'Rocky Linux':
      return majorRelease('rocky', release, family);
    case 'AlmaLinux':
      return majorRelease('almalinux', release, family);
    case 'SUSE':
      return suseOsv(release);
    case 'openSUSE':
      return openSuseOsv(release);
    default:
      return skip(`ecosystem ${family} is not a distribution imagewarden matches`);
  }
}

function debianOsv(release: string): NamespaceResult {
  if (!release) return skip('Debian without a release');
  const namespace = debianNamespace(release);
  return namespace ? { namespace, ecosystem: 'dpkg' } : skip(`Debian release ${release} has no number`);
}

/**
 * `Ubuntu:22.04:LTS`, `Ubuntu:25.10`, `Ubuntu:Pro:18.04:LTS`. Pro (ESM) fixes are published in
 * the same release's version line, and an image on ESM still reports the plain VERSION_ID, so
 * Pro entries share the release's namespace and carry the flavour. Other streams (FIPS…) are
 * separate builds that os-release does not reveal, so they are skipped.
 */
function ubuntuOsv(release: string): NamespaceResult {
  const parts = release.split(':');
  const version = parts.find((p) => /^\d{2}\.\d{2}$/.test(p));
  if (!version) return skip(`Ubuntu stream ${release || '(none)'} names no release`);
  const extra = parts.filter((p) => p !== version && p !== 'LTS');
  if (extra.length === 0) return { namespace: `ubuntu:${version}`, ecosystem: 'dpkg' };
  if (extra.length === 1 && extra[0] === 'Pro') return { namespace: `ubuntu:${version}`, ecosystem: 'dpkg', flavour: 'Ubuntu Pro' };
  return skip(`Ubuntu stream ${extra.join(':')} is not identifiable from os-release`);
}

function alpineOsv(release: string): NamespaceResult {
  const namespace = alpineNamespace(release);
  return namespace ? { namespace, ecosystem: 'apk' } : skip(`Alpine branch ${release || '(none)'} has no release number`);
}

/**
 * `Red Hat:enterprise_linux:8::appstream` (a CPE without its prefix). Only the mainstream
 * `enterprise_linux` product maps to rhel:N; EUS/AUS/E4S/ELS streams fix on their own branches
 * and would misreport mainstream images.
 */
function redHatOsv(cpe: string): NamespaceResult {
  const [product, version] = cpe.split(':');
  if (product !== 'enterprise_linux') return skip(`Red Hat product ${product || '(none)'} is not mainstream RHEL`);
  const major = /^(\d+)/.exec(version ?? '');
  return major ? { namespace: `rhel:${major[1]}`, ecosystem: 'rpm' } : skip(`Red Hat CPE ${cpe} has no release`);
}

function majorRelease(id: string, release: string, family: string): NamespaceResult {
  const major = /^(\d+)(\.\d+)*$/.exec(release);
  return major ? { namespace: `${id}:${major[1]}`, ecosystem: 'rpm', bySource: true } : skip(`${family} release ${release || '(none)'} is not numeric`);
}

/**
 * `SUSE:Linux Enterprise Server 15 SP3` and the SLES modules (`…Module for Basesystem 15 SP3`,
 * where most SLES packages live) → sles:15.3, as SLES and BCI images report VERSION_ID.
 */
function suseOsv(product: string): NamespaceResult {
  const match = /^(?:SUSE )?Linux Enterprise (?:Server|Module for [^\d]+?) (\d+)(?: SP(\d+))?$/.exec(product.trim());
  if (!match) return skip(`SUSE product ${product || '(none)'} is not SLES`);
  return { namespace: match[2] ? `sles:${match[1]}.${match[2]}` : `sles:${match[1]}`, ecosystem: 'rpm', bySource: true };
}

/** `openSUSE:openSUSE Leap 15.5` → opensuse-leap:15.5 (its os-release ID and VERSION_ID). */
function openSuseOsv(product: string): NamespaceResult {
  const match = /^(?:openSUSE )?Leap (\d+\.\d+)$/.exec(product.trim());
  return match ? { namespace: `opensuse-leap:${match[1]}`, ecosystem: 'rpm', bySource: true } : skip(`openSUSE product ${product || '(none)'} has no fixed release`);
}

/**
 * Counts of feed entries left out and why (a language ecosystem, a suite without a number…),
 * so an import can report what it did not take instead of silently shrinking.
 */
export class SkipTally {
  private readonly counts = new Map<string, number>();

  add(reason: string): void {
    this.counts.set(reason, (this.counts.get(reason) ?? 0) + 1);
  }

  get total(): number {
    let sum = 0;
    for (const n of this.counts.values()) sum += n;
    return sum;
  }

  /** Reasons and counts, most frequent first. */
  entries(): Array<[reason: string, count: number]> {
    return [...this.counts.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  }
}

