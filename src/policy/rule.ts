import type { z } from 'zod';
import type { AssessedInventory } from '../inventory/types';
import type { ImageReference } from '../registry/types';
import type { Finding } from '../vuln/matcher';

export type Enforcement = 'inform' | 'enforce';

export type PolicySeverity = 'Critical' | 'High' | 'Medium' | 'Low';

export interface PolicySubject {
  /** Where the image was found (tag may be absent). */
  image: ImageReference;
  /** OpenShift namespace, when the image came from one. */
  namespace?: string;
  inventory: AssessedInventory;
  /** null = no feed covers the OS: vulnerability rules must then fail "cannot be evaluated", never pass. */
  findings: Finding[] | null;
  now: Date;
}

export interface Violation {
  message: string;
  package?: string;
  version?: string;
  advisoryId?: string;
}

export interface PolicyResult {
  name: string;
  rule: string;
  severity: PolicySeverity;
  enforcement: Enforcement;
  description: string;
  rationale: string;
  remediation: string;
  violations: Violation[];
}

export interface PolicyRule<Options> {
  readonly rule: string;
  readonly defaults: { description: string; rationale: string; remediation: string; severity: PolicySeverity };
  /** zod schema of the rule's options in config (strict: unknown option keys are errors with their path). */
  readonly options: z.ZodType<Options>;
  evaluate(subject: PolicySubject, options: Options): Violation[];
}
