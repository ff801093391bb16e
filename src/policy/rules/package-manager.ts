import { z } from 'zod';
import type { PolicyRule } from '../rule';

/** The installed package names that give away each package manager family. */
const MANAGER_PACKAGES = {
  rpm: ['rpm', 'dnf', 'yum', 'microdnf'],
  dpkg: ['dpkg', 'apt'],
  apk: ['apk-tools'],
} as const satisfies Record<string, readonly string[]>;

type Manager = keyof typeof MANAGER_PACKAGES;

const options = z.strictObject({
  managers: z
    .array(z.enum(Object.keys(MANAGER_PACKAGES) as [Manager, ...Manager[]]))
    .min(1)
    .default(['rpm', 'dpkg', 'apk']),
});

/**
 * Flags package managers left in the image (ACS's "Red Hat Package Manager in Image", widened
 * to dpkg/apt and apk): with one present, a compromised container can install tools at will.
 */
export const packageManagerRule: PolicyRule<z.output<typeof options>> = {
  rule: 'package-manager',
  defaults: {
    description: 'The image contains a package manager.',
    rationale: 'A package manager lets anyone who gets into the container install further software.',
    remediation: 'Remove the package manager in the final stage of the build (multi-stage builds, distroless or micro images).',
    severity: 'Low',
  },
  options,
  evaluate(subject, opts) {
    const wanted = new Set<string>(opts.managers.flatMap((m) => MANAGER_PACKAGES[m]));
    return subject.inventory.packages
      .filter((p) => wanted.has(p.name))
      .map((p) => ({ message: `package manager ${p.name} ${p.version} is installed`, package: p.name, version: p.version }));
  },
};
