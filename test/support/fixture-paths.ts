import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** The repository root, found upwards so that the compiled copy under dist/ reads the same fixtures. */
function repositoryRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) throw new Error(`no package.json above ${from}`);
  }
}

/** Root of the test fixtures; recipe paths are relative to it. */
export const IMAGE_FIXTURES_DIR = join(repositoryRoot(__dirname), 'test', 'fixtures');

export function readImageFixture(relativePath: string): Buffer {
  return readFileSync(join(IMAGE_FIXTURES_DIR, relativePath));
}
