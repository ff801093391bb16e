import { readFileSync } from 'node:fs';
import type { Credentials } from './credentials';
import type { Platform } from './manifest';
import type { PushedManifest } from './pushed-manifest';
import type { ExpectedScan, RegistryRole } from './recipe-types';
import type { RegistryAuth } from './registry';

/** Names the JSON file global-setup writes; workers inherit it from the jest parent process. */
export const TEST_ENV_VARIABLE = 'IMAGEWARDEN_TEST_ENV';

export interface RegistryInfo {
  role: RegistryRole;
  auth: RegistryAuth;
  host: string;
  url: string;
  credentials?: Credentials;
  token?: { realm: string; service: string; issuer: string; deniedRepositories: string[] };
}

export interface PushedImage {
  id: string;
  description: string;
  kind: string;
  repository: string;
  tags: string[];
  /** `host/repository:tag` (first tag) for each registry the image was pushed to. */
  references: Partial<Record<RegistryRole, string>>;
  digest: string;
  manifest: PushedManifest;
  expected: ExpectedScan;
  /** Multi-arch images only. */
  platforms?: Array<{ platform: Platform; digest: string; expected: ExpectedScan }>;
}

export interface TestEnvironment {
  registries: Record<RegistryRole, RegistryInfo>;
  images: PushedImage[];
}

export function loadTestEnvironment(): TestEnvironment {
  const path = process.env[TEST_ENV_VARIABLE];
  if (!path) {
    throw new Error(
      `${TEST_ENV_VARIABLE} is not set: the registries are started by test/support/global-setup.ts, ` +
        'which jest runs for the integration project only',
    );
  }
  return JSON.parse(readFileSync(path, 'utf8')) as TestEnvironment;
}

export function pushedImage(env: TestEnvironment, id: string): PushedImage {
  const image = env.images.find((i) => i.id === id);
  if (!image) throw new Error(`no pushed image "${id}"; known: ${env.images.map((i) => i.id).join(', ')}`);
  return image;
}

/** Pushed images whose surviving package database came from the given fixture file. */
export function pushedImagesWithPackagesFrom(env: TestEnvironment, fixture: string): PushedImage[] {
  return env.images.filter((i) => i.expected.packages?.fixture === fixture);
}
