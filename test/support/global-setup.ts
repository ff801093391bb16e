import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FIXTURE_IMAGES } from './fixture-images';
import { saveHarnessState } from './harness-state';
import { pushFixtureImage } from './push-fixture';
import type { FixtureImageRecipe, RegistryRole } from './recipe-types';
import { RegistryClient } from './registry-client';
import { type RunningRegistry, startRegistry } from './registry';
import { mapWithLimit } from './run-pool';
import { type PushedImage, type RegistryInfo, TEST_ENV_VARIABLE, type TestEnvironment } from './test-environment';

/** A repository the token server refuses every action on, for "access denied" tests. */
export const DENIED_REPOSITORY = 'denied/secret';

const PUSH_CONCURRENCY = 6;

function registryInfo(role: RegistryRole, registry: RunningRegistry): RegistryInfo {
  return {
    role,
    auth: registry.auth,
    host: registry.host,
    url: registry.url,
    ...(registry.credentials ? { credentials: registry.credentials } : {}),
    ...(registry.token ? { token: { ...registry.token, deniedRepositories: [DENIED_REPOSITORY] } } : {}),
  };
}

async function pushAll(registries: Record<RegistryRole, RunningRegistry>): Promise<PushedImage[]> {
  const clients = Object.fromEntries(
    Object.entries(registries).map(([role, r]) => [role, new RegistryClient(r.url, r.credentials)]),
  ) as Record<RegistryRole, RegistryClient>;
  return mapWithLimit(FIXTURE_IMAGES, PUSH_CONCURRENCY, async (recipe: FixtureImageRecipe): Promise<PushedImage> => {
    const manifest = await pushFixtureImage(recipe, recipe.registries.map((role) => clients[role]));
    const references = Object.fromEntries(
      recipe.registries.map((role) => [role, `${registries[role].host}/${recipe.repository}:${recipe.tags[0]}`]),
    );
    return {
      id: recipe.id,
      description: recipe.description,
      kind: recipe.kind,
      repository: recipe.repository,
      tags: recipe.tags,
      references,
      digest: manifest.digest,
      manifest,
      expected: recipe.expected,
      ...(recipe.kind === 'multi-arch'
        ? {
            platforms: recipe.platforms.map((p, i) => {
              const entry = manifest.manifests[i];
              if (!entry) throw new Error(`${recipe.id}: index lacks an entry for ${p.platform.architecture}`);
              return { platform: p.platform, digest: entry.digest, expected: p.expected };
            }),
          }
        : {}),
    };
  });
}

/**
 * Starts an open, an htpasswd and a token-auth registry, pushes every fixture image, and
 * describes the result in a JSON file whose path goes to the workers in IMAGEWARDEN_TEST_ENV.
 */
export default async function globalSetup(): Promise<void> {
  const envDir = mkdtempSync(join(tmpdir(), 'imagewarden-test-env-'));
  const started: RunningRegistry[] = [];
  try {
    const outcomes = await Promise.allSettled([
      startRegistry({ auth: 'none' }),
      startRegistry({ auth: 'htpasswd' }),
      startRegistry({ auth: 'token', deniedRepositories: [DENIED_REPOSITORY] }),
    ]);
    for (const o of outcomes) if (o.status === 'fulfilled') started.push(o.value);
    const failed = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected');
    if (failed) throw failed.reason;
    const [open, htpasswd, token] = started as [RunningRegistry, RunningRegistry, RunningRegistry];
    const registries = { open, htpasswd, token };
    const environment: TestEnvironment = {
      registries: {
        open: registryInfo('open', open),
        htpasswd: registryInfo('htpasswd', htpasswd),
        token: registryInfo('token', token),
      },
      images: await pushAll(registries),
    };
    const envFile = join(envDir, 'environment.json');
    writeFileSync(envFile, JSON.stringify(environment, null, 2));
    process.env[TEST_ENV_VARIABLE] = envFile;
    saveHarnessState({ registries: started, envDir });
  } catch (e) {
    await Promise.all(started.map((r) => r.stop()));
    rmSync(envDir, { recursive: true, force: true });
    throw e;
  }
}
