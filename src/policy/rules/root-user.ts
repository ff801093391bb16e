import { z } from 'zod';
import type { PolicyRule } from '../rule';

const options = z.strictObject({});

/**
 * Flags images whose config runs the process as root. Only the user part of `user[:group]`
 * decides: `0:1000` runs as root, `1000:0` runs as uid 1000 with group 0 (what OpenShift's
 * arbitrary-uid images do on purpose).
 */
export const rootUserRule: PolicyRule<z.output<typeof options>> = {
  rule: 'root-user',
  defaults: {
    description: 'The image runs as root.',
    rationale: 'A process running as root in a container is one kernel or runtime flaw away from root on the node.',
    remediation: 'Create an unprivileged user in the image and set USER to it (a numeric uid lets Kubernetes verify it).',
    severity: 'Medium',
  },
  options,
  evaluate(subject) {
    const configured = subject.inventory.config.user?.trim() ?? '';
    if (configured === '') return [{ message: 'the image sets no User, so it runs as root' }];
    const user = configured.split(':')[0];
    if (user === '0' || user === 'root') return [{ message: `the image runs as root (User "${configured}")` }];
    return [];
  },
};
