import type { RunningRegistry } from './registry';

/** What global-setup started and global-teardown must stop; both run in the jest parent process. */
export interface HarnessState {
  registries: RunningRegistry[];
  envDir: string;
}

const KEY = Symbol.for('imagewarden.test.harness');

type WithHarness = typeof globalThis & { [KEY]?: HarnessState };

export function saveHarnessState(state: HarnessState): void {
  (globalThis as WithHarness)[KEY] = state;
}

export function takeHarnessState(): HarnessState | undefined {
  const holder = globalThis as WithHarness;
  const state = holder[KEY];
  delete holder[KEY];
  return state;
}
