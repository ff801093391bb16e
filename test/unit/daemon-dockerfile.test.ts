import fs from 'node:fs';
import path from 'node:path';

/**
 * No container engine runs here, so the Dockerfile is checked as text against the repository:
 * its stages, the runtime user and entry point, and that everything it copies exists and is
 * not excluded from the build context.
 */
const ROOT = path.join(__dirname, '../..');

interface Instruction {
  keyword: string;
  args: string;
}

interface Stage {
  from: string;
  name?: string;
  instructions: Instruction[];
}

function parseDockerfile(text: string): Stage[] {
  const logical = text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  const stages: Stage[] = [];
  for (const line of logical) {
    const [, keyword, args] = /^(\S+)\s+(.*)$/.exec(line)!;
    if (keyword.toUpperCase() === 'FROM') {
      const m = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(args)!;
      stages.push({ from: m[1], ...(m[2] && { name: m[2] }), instructions: [] });
    } else {
      stages.at(-1)!.instructions.push({ keyword: keyword.toUpperCase(), args });
    }
  }
  return stages;
}

/** Docker's .dockerignore: patterns anchored at the context root, `**` across folders, `!` exceptions, last match wins. */
function dockerIgnored(patterns: string[], file: string): boolean {
  let ignored = false;
  for (const raw of patterns) {
    const negated = raw.startsWith('!');
    const pattern = (negated ? raw.slice(1) : raw).replace(/^\/+|\/+$/g, '');
    const source = pattern
      .split(/(\*\*\/?|\*|\?)/)
      .map((part) => (part === '**' || part === '**/' ? '(?:.*/)?' : part === '*' ? '[^/]*' : part === '?' ? '[^/]' : part.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
      .join('');
    const re = new RegExp(`^${source}(?:/.*)?$`);
    if (re.test(file) || (pattern.endsWith('**') && new RegExp(`^${source}`).test(file))) ignored = !negated;
  }
  return ignored;
}

function filesUnder(dir: string): string[] {
  return fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true, recursive: true }).filter((e) => e.isFile()).map((e) => path.relative(ROOT, path.join(e.parentPath, e.name)));
}

const stages = parseDockerfile(fs.readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8'));
const ignore = fs
  .readFileSync(path.join(ROOT, '.dockerignore'), 'utf8')
  .split('\n')
  .map((l) => l.trim())
  .filter((l) => l && !l.startsWith('#'));
const [build, runtime] = stages;
const runs = (stage: Stage) => stage.instructions.filter((i) => i.keyword === 'RUN').map((i) => i.args);
const copies = (stage: Stage) =>
  stage.instructions
    .filter((i) => i.keyword === 'COPY')
    .map((i) => {
      const words = i.args.split(/\s+/);
      const from = words.find((w) => w.startsWith('--from='))?.slice('--from='.length);
      const paths = words.filter((w) => !w.startsWith('--'));
      return { from, sources: paths.slice(0, -1), target: paths.at(-1)! };
    });

describe('Dockerfile', () => {
  test('two stages on node:20-bookworm-slim: a named build stage, then the runtime', () => {
    expect(stages.map((s) => s.from)).toEqual(['node:20-bookworm-slim', 'node:20-bookworm-slim']);
    expect(build.name).toBe('build');
    expect(runtime.name).toBeUndefined();
  });

  test('the build stage installs the toolchain, installs with npm install, builds with the package script and prunes', () => {
    const scripts = (JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
    const all = runs(build).join(' && ');
    for (const tool of ['python3', 'make', 'g++']) expect(all).toMatch(new RegExp(`apt-get install[^&]*\\s${tool.replace('+', '\\+')}(\\s|$)`));
    expect(all).toContain('npm install');
    expect(all).not.toMatch(/npm ci\b/);
    expect(all).toContain('npm run build');
    expect(scripts.build).toBe('tsc -p tsconfig.json');
    expect(all).toMatch(/npm prune --omit=dev/);
    expect(build.instructions).toContainEqual({ keyword: 'ENV', args: expect.stringMatching(/^npm_config_nodedir=/) });
    // The install runs before the sources are copied, so a source change keeps the module layer.
    const order = build.instructions.map((i) => `${i.keyword} ${i.args}`);
    expect(order.findIndex((i) => i.startsWith('RUN npm install'))).toBeLessThan(order.findIndex((i) => i === 'COPY src ./src'));
  });

  test('the runtime runs as uid 10001 with the data volume, the metrics port, the CLI entry point and the daemon', () => {
    const by = (k: string) => runtime.instructions.filter((i) => i.keyword === k).map((i) => i.args);
    expect(by('USER')).toEqual(['10001:10001']);
    expect(by('VOLUME')).toEqual(['["/var/lib/imagewarden"]']);
    expect(by('EXPOSE')).toEqual(['9464']);
    expect(by('HEALTHCHECK')).toEqual([]);
    expect(by('ENTRYPOINT').map((a) => JSON.parse(a) as unknown)).toEqual([['node', '/app/dist/src/cli/main.js']]);
    expect(by('CMD').map((a) => JSON.parse(a) as unknown)).toEqual([['daemon', '--config', '/etc/imagewarden/config.yaml']]);
    expect(runs(runtime).join(' ')).toMatch(/chown 10001:10001 \/var\/lib\/imagewarden/);
    expect(fs.existsSync(path.join(ROOT, 'src/cli/main.ts'))).toBe(true);
  });

  test('the runtime takes only the compiled code, production modules, package.json and the templates', () => {
    expect(copies(runtime).flatMap((c) => c.sources.map((s) => `${c.from ?? 'context'}:${s}`))).toEqual([
      'build:/app/package.json',
      'build:/app/node_modules',
      'build:/app/dist/src',
      'build:/app/dist/jobs',
      'context:templates',
    ]);
    expect(fs.existsSync(path.join(ROOT, 'templates/report.html.hbs'))).toBe(true);
  });

  test('every COPY from the context exists in the repository and is not excluded by .dockerignore', () => {
    const fromContext = stages.flatMap(copies).filter((c) => c.from === undefined).flatMap((c) => c.sources);
    expect(fromContext.length).toBeGreaterThan(5);
    for (const source of fromContext) {
      expect([source, fs.existsSync(path.join(ROOT, source))]).toEqual([source, true]);
      expect([source, dockerIgnored(ignore, source)]).toEqual([source, false]);
    }
  });

  test('the build context keeps every TypeScript file `npm run build` compiles, and leaves out the test data', () => {
    const tsconfig = JSON.parse(fs.readFileSync(path.join(ROOT, 'tsconfig.json'), 'utf8')) as { include: string[] };
    const copied = new Set(copies(build).flatMap((c) => c.sources));
    for (const dir of tsconfig.include.filter((d) => fs.existsSync(path.join(ROOT, d)))) {
      expect([dir, copied.has(dir)]).toEqual([dir, true]);
      const lost = filesUnder(dir).filter((f) => f.endsWith('.ts') && dockerIgnored(ignore, f));
      expect(lost).toEqual([]);
    }
    expect(dockerIgnored(ignore, 'test/fixtures/images/alpine-3.10.docker-save.tar.gz')).toBe(true);
    expect(dockerIgnored(ignore, 'node_modules/zod/package.json')).toBe(true);
    expect(dockerIgnored(ignore, 'imagewarden.db')).toBe(true);
  });
});
