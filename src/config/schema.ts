import os from 'node:os';
import { validate as validateCron } from 'node-cron';
import { z } from 'zod';
import { parseSize } from './size';

/**
 * The config contract of DESIGN.md. Every object is strict: an unknown key is an error naming
 * its path, because a misspelt `maxConcurrentScan` silently ignored is worse than a refusal.
 */

const size = z.union([z.number(), z.string()]).transform((v, ctx) => {
  const bytes = parseSize(v);
  if (bytes === undefined) {
    ctx.addIssue({ code: 'custom', message: `expected a size such as 4GiB or 512MB, got ${JSON.stringify(v)}` });
    return z.NEVER;
  }
  return bytes;
});

const cron = z.string().refine((v) => validateCron(v), { message: 'expected a cron expression of 5 or 6 fields' });

const timezone = z.string().refine(
  (tz) => {
    try {
      new Intl.DateTimeFormat('en', { timeZone: tz });
      return true;
    } catch {
      return false;
    }
  },
  { message: 'expected an IANA time zone such as UTC or Europe/Paris' },
);

const platform = z.string().regex(/^[a-z0-9]+\/[a-z0-9_]+(\/[a-z0-9]+)?$/, 'expected os/arch[/variant], e.g. linux/amd64');

const hostPort = z.string().regex(/^[^\s:/]+(:\d{1,5})?$|^\[[0-9a-fA-F:]+\](:\d{1,5})?$/, 'expected host[:port]');

const patterns = z.strictObject({
  include: z.array(z.string()).default(['*']),
  exclude: z.array(z.string()).default([]),
});

export const registryHostSchema = z.strictObject({
  host: hostPort,
  insecure: z.boolean().optional(),
  insecureSkipTLSVerify: z.boolean().optional(),
  caFile: z.string().optional(),
  username: z.string().optional(),
  password: z.string().optional(),
  token: z.string().optional(),
  dockerConfig: z.string().optional(),
  requestsPerSecond: z.number().positive().optional(),
});

const registrySource = z.strictObject({
  name: z.string().min(1),
  type: z.literal('registry'),
  url: z.url({ protocol: /^https?$/ }),
  repositories: patterns.default({ include: ['*'], exclude: [] }),
  tags: z
    .strictObject({
      include: z.array(z.string()).default(['*']),
      exclude: z.array(z.string()).default([]),
      maxPerRepository: z.number().int().positive().optional(),
    })
    .default({ include: ['*'], exclude: [] }),
  maxConcurrentScans: z.number().int().positive().default(4),
});

const openshiftSource = z.strictObject({
  name: z.string().min(1),
  type: z.literal('openshift'),
  kubeconfig: z.string().optional(),
  context: z.string().optional(),
  namespaces: z.array(z.string()).optional(),
  maxConcurrentScans: z.number().int().positive().default(3),
  enforce: z.boolean().default(false),
  dryRun: z.boolean().default(false),
  /** Deadline of one API request: a hung API server fails a namespace or an image, it does not stall the sweep. */
  requestTimeoutSeconds: z.number().positive().default(30),
});

const feed = z
  .strictObject({
    name: z.string().min(1),
    type: z.string().optional(),
    url: z.url().optional(),
    path: z.string().optional(),
  })
  .refine((f) => (f.url === undefined) !== (f.path === undefined), { message: 'a feed needs exactly one of url or path' });

const policyRule = z.looseObject({
  name: z.string().min(1),
  rule: z.string().min(1),
  enforcement: z.enum(['inform', 'enforce']).default('enforce'),
});

const email = z.strictObject({
  smtp: z.strictObject({
    host: z.string().min(1),
    port: z.number().int().min(1).max(65535).default(587),
    secure: z.boolean().default(false),
    starttls: z.boolean().default(true),
    user: z.string().optional(),
    password: z.string().optional(),
  }),
  from: z.string().min(1),
  to: z.array(z.string().min(1)).min(1),
  cc: z.array(z.string()).default([]),
  /** Attempts per send before the report is left pending for the next run. */
  attempts: z.number().int().positive().default(5),
});

export const configSchema = z.strictObject({
  database: z.string().min(1).default('./imagewarden.db'),
  timezone: timezone.default('UTC'),
  schedules: z
    .strictObject({ sweep: cron.optional(), match: cron.optional(), feeds: cron.optional(), report: cron.optional() })
    .default({}),
  http: z.strictObject({ listen: hostPort.default('127.0.0.1:9464') }).default({ listen: '127.0.0.1:9464' }),
  daemon: z
    .strictObject({
      /** After SIGTERM: how long in-flight scans may take to finish before the daemon exits anyway. */
      shutdownGraceSeconds: z.number().positive().default(30),
    })
    .default({ shutdownGraceSeconds: 30 }),
  scan: z
    .strictObject({
      workers: z.number().int().positive().default(Math.max(1, os.availableParallelism())),
      platform: platform.default('linux/amd64'),
      timeoutSeconds: z.number().positive().default(600),
      maxLayerBytes: size.default(4 * 1024 ** 3),
      maxFileBytes: size.default(512 * 1024 ** 2),
      /** Scans in flight across all sources: the load imagewarden puts on the cluster's registries. */
      maxConcurrentScans: z.number().int().positive().default(8),
    })
    .default({
      workers: Math.max(1, os.availableParallelism()),
      platform: 'linux/amd64',
      timeoutSeconds: 600,
      maxLayerBytes: 4 * 1024 ** 3,
      maxFileBytes: 512 * 1024 ** 2,
      maxConcurrentScans: 8,
    }),
  registries: z.array(registryHostSchema).default([]),
  sources: z.array(z.discriminatedUnion('type', [registrySource, openshiftSource])).default([]),
  feeds: z.array(feed).default([]),
  policies: z
    .strictObject({
      profile: z.enum(['default', 'hardened']).default('default'),
      /** Whether an image that could not be assessed is denied on OpenShift like a non-compliant one. */
      enforceUnknown: z.boolean().default(false),
      rules: z.array(policyRule).default([]),
      allowedRegistries: z
        .strictObject({
          cluster: z.array(z.string()).default([]),
          namespaces: z.record(z.string(), z.array(z.string())).default({}),
        })
        .optional(),
    })
    .default({ profile: 'default', enforceUnknown: false, rules: [] }),
  ignore: z
    .array(
      z.strictObject({
        id: z.string().min(1),
        package: z.string().optional(),
        images: z.array(z.string()).optional(),
        reason: z.string().min(1),
        expires: z.iso.date().optional(),
      }),
    )
    .default([]),
  report: z
    .strictObject({
      directory: z.string().default('./reports'),
      title: z.string().default('imagewarden'),
      /** A feed not updated for this long is called out as stale. */
      staleFeedHours: z.number().positive().default(48),
      email: email.optional(),
    })
    .default({ directory: './reports', title: 'imagewarden', staleFeedHours: 48 }),
});

export type Config = z.output<typeof configSchema>;
export type RegistryHostSettings = z.output<typeof registryHostSchema>;
