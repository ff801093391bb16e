import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig, parseConfigText } from '../../src/config/load';
import { ConfigError } from '../../src/errors';

function errorOf(text: string, env: NodeJS.ProcessEnv = {}): string {
  try {
    parseConfigText(text, 'c.yaml', env);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as Error).message;
  }
  throw new Error('expected a ConfigError');
}

describe('config', () => {
  test('the example config in the repository is valid', () => {
    const text = fs.readFileSync(path.join(__dirname, '../../config.example.yaml'), 'utf8');
    const config = parseConfigText(text, 'config.example.yaml', {
      REGISTRY_USER: 'u',
      REGISTRY_PASSWORD: 'p',
      SMTP_USER: 's',
      SMTP_PASSWORD: 'sp',
    });
    expect(config.sources.map((s) => s.name)).toEqual(['lab', 'prod']);
    expect(config.registries[0].password).toBe('p');
    expect(config.scan.maxLayerBytes).toBe(4 * 1024 ** 3);
  });

  test('no file at all gives the built-in defaults', () => {
    const cwd = process.cwd();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'iw-cfg-'));
    try {
      process.chdir(dir);
      const { config, source } = loadConfig();
      expect(source).toBeUndefined();
      expect(config.database).toBe('./imagewarden.db');
      expect(config.scan.platform).toBe('linux/amd64');
    } finally {
      process.chdir(cwd);
      fs.rmSync(dir, { recursive: true });
    }
  });

  test('a named file that does not exist is an error, not the defaults', () => {
    expect(() => loadConfig({ path: '/nonexistent/imagewarden.yaml' })).toThrow(/cannot read config file \/nonexistent/);
  });

  test('a wrong type names the exact path', () => {
    expect(errorOf('registries:\n  - host: x\n    username: 5\n')).toContain('registries[0].username: expected string, got number');
    expect(errorOf('sources:\n  - {name: a, type: registry, url: "http://x:5000"}\n  - {name: b, type: registry, url: 5}\n')).toContain(
      'sources[1].url',
    );
  });

  test('an unknown key is rejected with its path', () => {
    expect(errorOf('scan: { workers: 2, bogus: 1 }\n')).toContain('scan.bogus: unknown key');
    expect(errorOf('sources:\n  - {name: a, type: registry, url: "http://x", maxConcurentScans: 2}\n')).toContain(
      'sources[0].maxConcurentScans: unknown key',
    );
  });

  test('an unknown source type names the discriminator', () => {
    expect(errorOf('sources:\n  - { name: a, type: nope }\n')).toContain('sources[0].type');
  });

  test('schedules must be cron expressions', () => {
    expect(errorOf('schedules: { sweep: "every night" }\n')).toContain('schedules.sweep: expected a cron expression');
  });

  test('secrets come from the environment; a missing variable names the key', () => {
    const cfg = parseConfigText('registries:\n  - host: x\n    password: ${PW}\n', 'c.yaml', { PW: 's3cret' });
    expect(cfg.registries[0].password).toBe('s3cret');
    expect(errorOf('registries:\n  - host: x\n    password: ${NOPE_PW}\n')).toContain(
      'registries[0].password: environment variable NOPE_PW is not set',
    );
  });

  test('sizes accept units', () => {
    expect(parseConfigText('scan: { maxLayerBytes: 512MiB }\n', 'c.yaml', {}).scan.maxLayerBytes).toBe(512 * 1024 ** 2);
    expect(errorOf('scan: { maxLayerBytes: lots }\n')).toContain('scan.maxLayerBytes: expected a size');
  });

  test('invalid YAML names the file, line and column', () => {
    expect(errorOf('a: [\n')).toMatch(/^c\.yaml:\d+:\d+: invalid YAML/);
  });
});
