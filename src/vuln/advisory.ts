import type { Ecosystem } from '../inventory/types';

/** Severity as imagewarden ranks it; the vendor's own label is kept beside it. */
export type Severity = 'Critical' | 'High' | 'Medium' | 'Low' | 'Unknown';

/**
 * What a feed says about one package in one distribution release:
 * - fixed: versions below `fixedVersion` are affected;
 * - unfixed: every version is affected and no fix exists yet;
 * - will-not-fix: affected, and the vendor says it will not be fixed;
 * - not-affected: the vendor says this release's package is not affected.
 */
export type AdvisoryState = 'fixed' | 'unfixed' | 'will-not-fix' | 'not-affected';

/** An OSV-style range in the ecosystem's own version scheme; a bound left out is open. */
export interface AffectedRange {
  introduced?: string;
  fixed?: string;
  lastAffected?: string;
}

export interface Cvss {
  version: string;
  vector?: string;
  score?: number;
}

/**
 * Requirements besides the version that a feed states for an advisory to apply (Red Hat OVAL
 * criteria, Red Hat CSAF source-package products). The advisory applies only when every
 * condition given is met; a condition the image gives no evidence for counts as not met, as
 * OpenSCAP evaluates it on such an image.
 */
export interface AdvisoryConditions {
  /** The installed package is signed with one of these keys: rpm key ids, 16 lower-case hex digits (Package.signatureKeyId). */
  signedBy?: string[];
  /** The installed package's architecture is one of these (Package.arch). */
  arch?: string[];
  /** This dnf module stream, `name:stream`, is enabled on the system. Images carry no module information yet. */
  moduleStream?: string;
  /**
   * The running (or next-boot) kernel is older than this EVR. Red Hat's kernel advisories add it
   * to their package tests; an image boots no kernel, so it is never met there.
   */
  kernelBefore?: string;
  /** `package` names a source rpm: the advisory applies to every installed binary built from it (Package.source). */
  bySource?: boolean;
}

export interface Advisory {
  /** The advisory's own id: CVE-…, RHSA-…, DSA-…, ALPINE-CVE-…, USN-… */
  id: string;
  /** Other ids of the same vulnerability (the CVE of an RHSA, the USN of a CVE…). */
  aliases: string[];
  /** `debian:12`, `ubuntu:22.04`, `alpine:3.18`, `rhel:8`, `rocky:9`, `almalinux:9`, `sles:15.3`… */
  namespace: string;
  ecosystem: Ecosystem;
  /** dpkg: source package; apk: origin; rpm: binary package name. */
  package: string;
  state: AdvisoryState;
  /** For state `fixed`: the first version that is not affected. */
  fixedVersion?: string;
  /** OSV ranges, when a feed gives ranges rather than one fixed version. */
  ranges?: AffectedRange[];
  /** Explicitly listed affected versions (OSV `versions`). */
  versions?: string[];
  severity: Severity;
  /** The label the feed used (`important`, `urgency high`, `CVSS:3.1 9.8`…). */
  vendorSeverity?: string;
  cvss?: Cvss[];
  title?: string;
  description?: string;
  references: string[];
  published?: string;
  modified?: string;
  /** Name of the configured feed the advisory came from. */
  feed: string;
  /** Requirements besides the version; absent when there are none. */
  conditions?: AdvisoryConditions;
}
