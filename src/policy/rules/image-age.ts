import { z } from 'zod';
import type { PolicyRule } from '../rule';

const DAY_MS = 24 * 60 * 60 * 1000;

const options = z.strictObject({
  /** ACS's "90-Day Image Age" default. */
  maxDays: z.number().int().positive().default(90),
});

/** Flags images built longer ago than `maxDays`: they miss every fix published since. */
export const imageAgeRule: PolicyRule<z.output<typeof options>> = {
  rule: 'image-age',
  defaults: {
    description: 'The image was built too long ago.',
    rationale: 'Old images miss the fixes published since they were built, including ones no feed lists yet.',
    remediation: 'Rebuild the image regularly, and redeploy it.',
    severity: 'Low',
  },
  options,
  evaluate(subject, opts) {
    const created = subject.inventory.config.created;
    // Without a date the age cannot be shown to be acceptable, so it is not assumed to be.
    if (created === undefined || created === '') return [{ message: 'image has no creation date' }];
    const time = Date.parse(created);
    if (Number.isNaN(time)) return [{ message: `image creation date "${created}" is not a date` }];
    const days = Math.floor((subject.now.getTime() - time) / DAY_MS);
    if (days > opts.maxDays) return [{ message: `image was created ${days} days ago (${created}), more than ${opts.maxDays}` }];
    return [];
  },
};
