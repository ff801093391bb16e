import { rmSync } from 'node:fs';
import { takeHarnessState } from './harness-state';
import { TEST_ENV_VARIABLE } from './test-environment';

/** Stops what global-setup started and removes the environment file. */
export default async function globalTeardown(): Promise<void> {
  const state = takeHarnessState();
  if (!state) return;
  await Promise.all(state.registries.map((r) => r.stop()));
  rmSync(state.envDir, { recursive: true, force: true });
  delete process.env[TEST_ENV_VARIABLE];
}
