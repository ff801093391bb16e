import type { StoredVerdict } from '../store/verdicts';

/** One digest of an enforcing source, with the verdict the sweep just stored for it. */
export interface EnforcementSubject {
  source: string;
  /** The cluster-scoped Image object's name: the manifest digest. */
  imageName: string;
  /** A pull spec of the image, for the vulnerability annotation's `reference`. */
  reference: string;
  verdict: StoredVerdict;
}

export interface EnforcementSummary {
  denied: number;
  cleared: number;
  updated: number;
  unchanged: number;
  failed: number;
  /** With dryRun: patches logged, none sent. */
  dryRun: number;
}

/** Brings the cluster's annotations in line with the verdicts; patches only what differs. */
export interface Enforcer {
  enforce(subjects: readonly EnforcementSubject[], options: { signal?: AbortSignal }): Promise<EnforcementSummary>;
}
