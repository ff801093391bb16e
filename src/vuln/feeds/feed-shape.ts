import type { z } from 'zod';
import { FeedError } from '../../errors';

/**
 * Checks one parsed feed entry against its zod shape. A mismatch becomes a FeedError naming the
 * file and where the entry's first problems are, in whatever terms the format can say (a JSON
 * path, a YAML line), so a wrong shape is never imported as an empty or partial feed.
 */
export function checkShape<T>(
  schema: z.ZodType<T>,
  value: unknown,
  file: string,
  where: (path: ReadonlyArray<PropertyKey>) => string,
): T {
  const result = schema.safeParse(value, {
    error: (issue) => (issue.code === 'invalid_type' && issue.input === undefined ? 'is missing' : undefined),
  });
  if (result.success) return result.data;
  const problems = result.error.issues.slice(0, 3).map((issue) => `${where(issue.path)}: ${issue.message}`);
  throw new FeedError(`unexpected feed content at ${problems.join('; ')}`, { file });
}
