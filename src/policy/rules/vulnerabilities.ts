import { z } from 'zod';
import type { AssessedInventory } from '../../inventory/types';
import { isFixable, SEVERITY_RANK, type Finding } from '../../vuln/matcher';
import type { PolicyRule, Violation } from '../rule';

const options = z.strictObject({
  /** Findings at or above this severity fail; `Unknown` admits every finding. */
  severity: z.enum(['Critical', 'High', 'Medium', 'Low', 'Unknown']).default('High'),
  /** Only findings a fixed package version resolves fail: an unfixable finding cannot be acted on. */
  fixableOnly: z.boolean().default(true),
  /** Only findings whose highest CVSS base score is at least this fail. */
  cvssAtLeast: z.number().min(0).max(10).optional(),
  /** Only findings whose advisory (the fix, for fixable ones) is at least this many days old fail: time to patch. */
  fixAgeDays: z.number().int().min(0).optional(),
});

export type VulnerabilitiesOptions = z.output<typeof options>;

/**
 * Fails on the image's matched vulnerabilities, one violation per finding. Without a feed for
 * the image's OS nothing was checked, and that is a violation of its own: an image no feed
 * covers must not pass as clean.
 */
export const vulnerabilitiesRule: PolicyRule<VulnerabilitiesOptions> = {
  rule: 'vulnerabilities',
  defaults: {
    description: 'The image contains OS packages with known vulnerabilities at or above the policy severity.',
    rationale: 'Known vulnerabilities in installed packages are the most common way images are exploited.',
    remediation: 'Rebuild the image on an updated base image, or update the affected packages to the fixed versions.',
    severity: 'High',
  },
  options,
  evaluate(subject, opts) {
    if (subject.findings === null) {
      return [{ message: `vulnerabilities cannot be evaluated: no imported feed covers ${describeOs(subject.inventory.os)}` }];
    }
    const threshold = SEVERITY_RANK[opts.severity];
    const publishedBefore = opts.fixAgeDays === undefined ? undefined : subject.now.getTime() - opts.fixAgeDays * 86_400_000;
    // A finding without a score or a date still counts: a missing figure is no evidence of low risk.
    return subject.findings
      .filter(
        (f) =>
          SEVERITY_RANK[f.severity] <= threshold &&
          (!opts.fixableOnly || isFixable(f)) &&
          (opts.cvssAtLeast === undefined || f.cvss === undefined || f.cvss >= opts.cvssAtLeast) &&
          (publishedBefore === undefined || !isDated(f) || Date.parse(f.published) <= publishedBefore),
      )
      .map(toViolation);
  },
};

function isDated(f: Finding): f is Finding & { published: string } {
  return f.published !== undefined && !Number.isNaN(Date.parse(f.published));
}


function toViolation(f: Finding): Violation {
  const outcome = isFixable(f) ? `fixed in ${f.fixedVersion}` : f.state === 'will-not-fix' ? 'the vendor will not fix it' : 'no fix is available';
  return {
    message: `${f.advisoryId} (${f.severity}) in ${f.package} ${f.installed}, ${outcome}`,
    package: f.package,
    version: f.installed,
    advisoryId: f.advisoryId,
  };
}

function describeOs(os: AssessedInventory['os']): string {
  if (!os) return 'the image (no OS was detected)';
  return os.version ? `${os.id} ${os.version}` : os.id;
}
