import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cli } from '../support/run-imagewarden';
import { loadTestEnvironment, pushedImage } from '../support/test-environment';

const env = loadTestEnvironment();

interface CheckJson {
  compliant: boolean;
  policies: { name: string; enforcement: string; violations: string[] }[];
}

let workdir: string;
beforeAll(() => {
  workdir = fs.mkdtempSync(path.join(os.tmpdir(), 'iw-policy-'));
});
afterAll(() => fs.rmSync(workdir, { recursive: true, force: true }));

async function checkWith(config: string, id: string): Promise<{ status: number | null; json: CheckJson }> {
  const file = path.join(workdir, `${id}-${fs.readdirSync(workdir).length}.yaml`);
  fs.writeFileSync(file, config);
  const r = await cli(['--db', path.join(workdir, `${id}.db`), 'check', '--json', pushedImage(env, id).references.open!], { config: file });
  if (r.status === 2) throw new Error(r.stderr);
  return { status: r.status, json: JSON.parse(r.stdout) as CheckJson };
}

const failedNames = (j: CheckJson) => j.policies.map((p) => p.name).sort();

describe('policies over images in the real registry', () => {
  test('hardened: root user, latest tag and the package manager fail on the root/latest image', async () => {
    const { status, json } = await checkWith('policies: { profile: hardened }\n', 'policy-root-latest');
    expect(status).toBe(1);
    expect(failedNames(json)).toEqual(['Latest tag', 'Package manager in image', 'Root user', 'Vulnerabilities']);
    const pm = json.policies.find((p) => p.name === 'Package manager in image')!;
    expect(pm.enforcement).toBe('inform');
    expect(pm.violations.join('\n')).toMatch(/dpkg 1\.20\.\d+/);
    expect(json.policies.find((p) => p.name === 'Root user')!.violations.join('\n')).toMatch(/root/);
  });

  test('required labels and image age name what is missing', async () => {
    const config = [
      'policies:',
      '  rules:',
      '    - { name: Owner label, rule: required-labels, enforcement: enforce, labels: [owner, com.example.cost-center] }',
      '    - { name: Fresh images, rule: image-age, enforcement: inform, maxDays: 30 }',
      '',
    ].join('\n');
    const { json } = await checkWith(config, 'dpkg-debian-11');
    const labels = json.policies.find((p) => p.name === 'Owner label')!;
    expect(labels.violations).toHaveLength(2);
    expect(labels.violations.join('\n')).toMatch(/owner/);
    expect(json.policies.find((p) => p.name === 'Fresh images')!.violations.join('\n')).toMatch(/created|creation date/);
  });

  test('allowed registries: an image no pattern admits is denied; a namespace list is not consulted outside its namespace', async () => {
    const host = env.registries.open.host;
    const denied = await checkWith(`policies:\n  allowedRegistries:\n    cluster: ["quay.io/*"]\n    namespaces: { team-a: ["${host}/*"] }\n`, 'dpkg-debian-11');
    expect(denied.json.policies.find((p) => p.name === 'Allowed registries')!.violations.join('\n')).toContain(host);
    const allowed = await checkWith(`policies:\n  allowedRegistries:\n    cluster: ["${host}/dpkg/*"]\n`, 'dpkg-debian-11');
    expect(allowed.json.policies.some((p) => p.name === 'Allowed registries')).toBe(false);
  });

  test('a policy option error names its key and exits 2', async () => {
    const file = path.join(workdir, 'bad.yaml');
    fs.writeFileSync(file, 'policies:\n  rules:\n    - { name: Old, rule: image-age, enforcement: enforce, maxDays: soon }\n');
    const r = await cli(['--db', path.join(workdir, 'bad.db'), 'check', pushedImage(env, 'dpkg-debian-11').references.open!], { config: file });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('policies.rules[0].maxDays');
  });
});
