import { z } from 'zod';
import { formatReference } from '../../registry/reference';
import { parseImagePattern } from '../patterns';
import type { PolicyRule } from '../rule';

const patterns = z.array(z.string().trim().min(1));

const options = z.strictObject({
  cluster: patterns.default([]),
  namespaces: z.record(z.string().min(1), patterns).default({}),
});

/**
 * Allows only images that match an allowed pattern, as IBM's ClusterImagePolicy and ImagePolicy
 * do: a namespace's own list replaces the cluster list for images in that namespace, and an
 * image no pattern matches is denied (an empty list therefore allows nothing).
 */
export const allowedRegistriesRule: PolicyRule<z.output<typeof options>> = {
  rule: 'allowed-registries',
  defaults: {
    description: 'The image comes from a registry or repository that is not allowed.',
    rationale: 'Images from unvetted registries bypass the review and scanning the allowed ones get.',
    remediation: 'Mirror the image into an allowed registry, or add its repository to the allowed patterns.',
    severity: 'High',
  },
  options,
  evaluate(subject, opts) {
    const ns = subject.namespace;
    const own = ns !== undefined && Object.hasOwn(opts.namespaces, ns) ? opts.namespaces[ns] : undefined;
    const list = own ?? opts.cluster;
    if (list.some((p) => parseImagePattern(p).matches(subject.image))) return [];
    const which = own ? `namespace ${ns}` : 'the cluster';
    const allowed = list.length ? list.join(', ') : 'none';
    return [{ message: `image ${formatReference(subject.image)} matches no pattern allowed for ${which} (allowed: ${allowed})` }];
  },
};
