import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Root of the test fixtures; recipe paths are relative to it. */
export const IMAGE_FIXTURES_DIR = join(__dirname, '..', 'fixtures');

export function readImageFixture(relativePath: string): Buffer {
  return readFileSync(join(IMAGE_FIXTURES_DIR, relativePath));
}
