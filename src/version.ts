import fs from 'node:fs';
import path from 'node:path';

/**
 * The version from package.json, found by walking up from this module: it runs both from src/
 * (tests) and from dist/src/ (the installed CLI), at different depths.
 */
function readVersion(): string {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    const file = path.join(dir, 'package.json');
    if (fs.existsSync(file)) {
      const pkg = JSON.parse(fs.readFileSync(file, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'imagewarden' && pkg.version) return pkg.version;
    }
    if (path.dirname(dir) === dir) throw new Error(`imagewarden's package.json not found above ${__dirname}: the installation is incomplete`);
  }
}

export const IMAGEWARDEN_VERSION = readVersion();
