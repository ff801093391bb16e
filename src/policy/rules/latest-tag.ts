import { z } from 'zod';
import { formatReference } from '../../registry/reference';
import type { PolicyRule } from '../rule';

const options = z.strictObject({});

/**
 * Flags images found under the `latest` tag, as ACS's "Latest tag" policy does. A reference with
 * neither tag nor digest is pulled as `latest` and is flagged too. An image referenced by digest
 * alone is not: a digest pins exactly one image, which is what this policy asks for.
 */
export const latestTagRule: PolicyRule<z.output<typeof options>> = {
  rule: 'latest-tag',
  defaults: {
    description: 'The image is referenced by the "latest" tag.',
    rationale: '"latest" moves with every push, so what runs cannot be told from what was scanned or approved.',
    remediation: 'Reference the image by a version tag or by digest.',
    severity: 'Low',
  },
  options,
  evaluate(subject) {
    const { tag, digest } = subject.image;
    if (tag === 'latest') return [{ message: `image ${formatReference(subject.image)} uses the "latest" tag` }];
    if (tag === undefined && digest === undefined) {
      return [{ message: `image ${formatReference(subject.image)} has no tag or digest, so it resolves to "latest"` }];
    }
    return [];
  },
};
