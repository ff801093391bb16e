import { createHash } from 'node:crypto';
import type { AssessedInventory } from '../inventory/types';
import type { ImageReference } from '../registry/types';
import type { Severity } from '../vuln/advisory';
import { isFixable, type Finding } from '../vuln/matcher';
import { evaluatePolicies, type ResolvedPolicy } from './evaluate';
import { applyIgnores, type IgnoreEntry, type IgnoreOutcome } from './ignore';
import type { PolicyResult } from './rule';

export type VerdictState = 'compliant' | 'non-compliant' | 'unknown';

/** Why a verdict is what it is now, compared with the one stored before. */
export type VerdictCause = 'new-image' | 'scanned' | 'scan-failed' | 'feed-data' | 'policy-change' | 'ignore-expired' | 'reevaluated' | 'forgotten';

/** A policy that failed, with its violations as the messages stored and printed. */
export type FailedPolicy = Omit<PolicyResult, 'violations'> & { violations: string[] };

/** Counts of the findings that still count after the ignore list, by severity. */
export type SeveritySummary = Record<Severity, number> & { fixable: number };

/** What a verdict was computed from, so the next one can say which of them changed. */
export interface VerdictInputs {
  policies: string;
  findings: string | null;
  expiredIgnores: string[];
}

export interface Verdict {
  digest: string;
  state: VerdictState;
  failedPolicies: FailedPolicy[];
  /** Null when no feed covers the image's OS or it was never scanned. */
  summary: SeveritySummary | null;
  /** For `unknown`: what kept the image from being assessed. */
  reason?: string;
  inputs: VerdictInputs;
}

/** Where an image digest was found: the same digest can be tagged several times and in several namespaces. */
export interface Sighting {
  image: ImageReference;
  source?: string;
  namespace?: string;
}

export interface Assessment {
  verdict: Verdict;
  /** Per sighting: the ignore outcome and every policy evaluated (passing ones have no violations). */
  sightings: { sighting: Sighting; ignores: IgnoreOutcome; results: PolicyResult[] }[];
}

export interface AssessInput {
  digest: string;
  inventory: AssessedInventory;
  /** Null when no imported feed covers the OS: the vulnerability policy then fails as "cannot be evaluated". */
  findings: Finding[] | null;
  sightings: readonly Sighting[];
  policies: readonly ResolvedPolicy[];
  /** A fingerprint of the policy configuration (see `policyFingerprint`). */
  policyFingerprint: string;
  ignores: readonly IgnoreEntry[];
  today: string;
  now: Date;
}

/**
 * The verdict on one digest. Tag and namespace matter to some policies (latest tag, allowed
 * registries), so every sighting is evaluated and the digest takes the worst: OpenShift marks
 * the Image object, which all its tags share.
 */
export function assessImage(input: AssessInput): Assessment {
  const sightings = input.sightings.map((sighting) => {
    const ignores = input.findings ? applyIgnores(input.findings, sighting.image, input.ignores, input.today) : { kept: [], ignored: [], expired: [] };
    const { results } = evaluatePolicies(input.policies, {
      image: sighting.image,
      namespace: sighting.namespace,
      source: sighting.source,
      inventory: input.inventory,
      findings: input.findings ? ignores.kept : null,
      now: input.now,
    });
    return { sighting, ignores, results };
  });

  const failed = new Map<string, FailedPolicy>();
  for (const { results } of sightings) {
    for (const r of results) {
      if (!r.violations.length) continue;
      const entry = failed.get(r.name) ?? { ...pickPolicy(r), violations: [] };
      for (const v of r.violations) if (!entry.violations.includes(v.message)) entry.violations.push(v.message);
      failed.set(r.name, entry);
    }
  }
  const failedPolicies = [...failed.values()];
  const kept = uniqueFindings(sightings.flatMap((s) => s.ignores.kept));
  const expired = new Set(sightings.flatMap((s) => s.ignores.expired.map(({ entry }) => `${entry.id}${entry.package ? `/${entry.package}` : ''}@${entry.expires}`)));
  return {
    verdict: {
      digest: input.digest,
      state: failedPolicies.some((p) => p.enforcement === 'enforce') ? 'non-compliant' : 'compliant',
      failedPolicies,
      summary: input.findings ? summarize(kept) : null,
      inputs: {
        policies: input.policyFingerprint,
        findings: input.findings ? fingerprint(kept.map(findingKey).sort()) : null,
        expiredIgnores: [...expired].sort(),
      },
    },
    sightings,
  };
}

/** The verdict on a digest that could not be assessed: never compliant. */
export function unknownVerdict(digest: string, reason: string, policyFingerprint: string): Verdict {
  return { digest, state: 'unknown', failedPolicies: [], summary: null, reason, inputs: { policies: policyFingerprint, findings: null, expiredIgnores: [] } };
}

/** Which input explains the difference between two verdicts on the same digest. */
export function causeOf(previous: Verdict | undefined, next: Verdict): VerdictCause {
  if (next.state === 'unknown' && next.reason !== undefined) return previous ? 'scan-failed' : 'new-image';
  if (!previous) return 'new-image';
  if (previous.state === 'unknown') return 'scanned';
  // Before the policy check: an ignore entry that lapsed is the more precise reason, even when
  // the config was edited in the same run.
  if (next.inputs.expiredIgnores.some((e) => !previous.inputs.expiredIgnores.includes(e))) return 'ignore-expired';
  if (previous.inputs.policies !== next.inputs.policies) return 'policy-change';
  if (previous.inputs.findings !== next.inputs.findings) return 'feed-data';
  return 'reevaluated';
}

/** A stable hash of what decides policies (rules and the ignore list): a change to it is a "policy change" in the history. */
export function policyFingerprint(policies: unknown): string {
  return fingerprint(policies);
}

function fingerprint(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(value)).digest('hex').slice(0, 16);
}

function pickPolicy(r: PolicyResult): Omit<FailedPolicy, 'violations'> {
  const { name, rule, severity, enforcement, description, rationale, remediation } = r;
  return { name, rule, severity, enforcement, description, rationale, remediation };
}

function findingKey(f: Finding): string {
  return `${f.advisoryId}\0${f.package}\0${f.installed}\0${f.state}\0${f.severity}`;
}

function uniqueFindings(findings: Finding[]): Finding[] {
  const byKey = new Map<string, Finding>();
  for (const f of findings) byKey.set(findingKey(f), f);
  return [...byKey.values()];
}

function summarize(findings: Finding[]): SeveritySummary {
  const s: SeveritySummary = { Critical: 0, High: 0, Medium: 0, Low: 0, Unknown: 0, fixable: 0 };
  for (const f of findings) {
    s[f.severity]++;
    if (isFixable(f)) s.fixable++;
  }
  return s;
}
