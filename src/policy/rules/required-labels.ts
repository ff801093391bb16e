import { z } from 'zod';
import type { PolicyRule, Violation } from '../rule';

const regex = z.string().refine(
  (s) => {
    try {
      new RegExp(s);
      return true;
    } catch {
      return false;
    }
  },
  { message: 'not a valid regular expression' },
);

const options = z.strictObject({
  /** Names that must be present, or names mapped to a regular expression the whole value must match. */
  labels: z
    .union([z.array(z.string().min(1)).min(1), z.record(z.string().min(1), regex)])
    // Compiled once when the policy is resolved, not per image. Anchored, so `^v\d+` cannot be
    // satisfied by a value that merely contains a match.
    .transform((labels) =>
      Array.isArray(labels)
        ? labels.map((name) => ({ name, pattern: undefined, re: undefined }))
        : Object.entries(labels).map(([name, pattern]) => ({ name, pattern, re: new RegExp(`^(?:${pattern})$`) })),
    ),
});

/** Flags each required image label that is missing or whose value does not match. */
export const requiredLabelsRule: PolicyRule<z.output<typeof options>> = {
  rule: 'required-labels',
  defaults: {
    description: 'The image lacks required labels.',
    rationale: 'Labels such as the owner or the source repository tell who must act on a failing image.',
    remediation: 'Add the labels with LABEL in the image build.',
    severity: 'Low',
  },
  options,
  evaluate(subject, opts) {
    const labels = subject.inventory.config.labels;
    const violations: Violation[] = [];
    for (const { name, pattern, re } of opts.labels) {
      const value = Object.hasOwn(labels, name) ? labels[name] : undefined;
      if (value === undefined) violations.push({ message: `required label ${name} is missing` });
      else if (re !== undefined && !re.test(value)) {
        violations.push({ message: `label ${name}="${value}" does not match /${pattern}/` });
      }
    }
    return violations;
  },
};
