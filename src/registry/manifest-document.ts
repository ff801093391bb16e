import { z } from 'zod';
import { RegistryError, type ErrorContext } from '../errors';
import { digestProblem } from './digest';
import type { Descriptor } from './types';

const digest = z.string().superRefine((value, ctx) => {
  const problem = digestProblem(value);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

const platform = z.object({ os: z.string().min(1), architecture: z.string().min(1), variant: z.string().optional() });

const descriptor = z.object({
  mediaType: z.string().min(1),
  digest,
  size: z.number().int().nonnegative(),
  platform: platform.optional(),
  annotations: z.record(z.string(), z.string()).optional(),
});

const schemaVersion = z.literal(2, { error: (iss) => `must be 2, got ${JSON.stringify(iss.input)}` });

const imageManifest = z.object({ schemaVersion, config: descriptor, layers: z.array(descriptor) });
const imageIndex = z.object({ schemaVersion, manifests: z.array(descriptor) });

export interface ImageManifest {
  config: Descriptor;
  layers: Descriptor[];
}

export interface ImageIndex {
  manifests: Descriptor[];
}

/** `layers[2].digest` from zod's path array. */
function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) out += typeof key === 'number' ? `[${key}]` : `${out ? '.' : ''}${String(key)}`;
  return out || '(document)';
}

function parse<T>(schema: z.ZodType<T>, body: Buffer, what: string, context: ErrorContext): T {
  let doc: unknown;
  try {
    doc = JSON.parse(body.toString('utf8'));
  } catch (err) {
    throw new RegistryError('manifest', `${what} is not valid JSON: ${(err as Error).message}`, context, { cause: err });
  }
  const result = schema.safeParse(doc, {
    error: (iss) => (iss.code === 'invalid_type' && iss.input === undefined ? 'is missing' : undefined),
  });
  if (result.success) return result.data;
  const problems = result.error.issues.slice(0, 5).map((i) => `${formatPath(i.path)}: ${i.message}`);
  throw new RegistryError('manifest', `invalid ${what}: ${problems.join('; ')}`, context);
}

export function parseImageManifest(body: Buffer, context: ErrorContext): ImageManifest {
  return parse(imageManifest, body, 'image manifest', context);
}

export function parseImageIndex(body: Buffer, context: ErrorContext): ImageIndex {
  return parse(imageIndex, body, 'image index', context);
}
