import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startOpenShiftServer, type OpenShiftServer } from '../support/openshift-server';
import { cli } from '../support/run-imagewarden';
import { loadTestEnvironment, pushedImage } from '../support/test-environment';

const env = loadTestEnvironment();
const DIST = path.join(__dirname, '../../dist/src');

/** An image stream as the cluster has it after two images were tagged into it from the test registry. */
function streamOf(ids: Record<string, string>) {
  return {
    metadata: { name: 'app' },
    status: {
      dockerImageRepository: 'image-registry.openshift-image-registry.svc:5000/team-a/app',
      tags: Object.entries(ids).map(([tag, id]) => {
        const image = pushedImage(env, id);
        const name = image.references.open!;
        return {
          tag,
          items: [{ created: '2026-01-05T10:00:00Z', dockerImageReference: `${name.slice(0, name.lastIndexOf(':'))}@${image.digest}`, image: image.digest, generation: 1 }],
        };
      }),
    },
  };
}

/** Runs a script on the compiled build in a plain Node process: CommonJS requiring the ESM-only Kubernetes client. */
function runCompiled(script: string, input: unknown): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', script], { env: { ...process.env, DIST, INPUT: JSON.stringify(input) } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

describe('OpenShift image streams through the compiled CLI and build', () => {
  let server: OpenShiftServer;
  let workdir: string;
  const alpine = pushedImage(env, 'apk-alpine-3.20.3');
  const debian = pushedImage(env, 'dpkg-debian-11');

  beforeAll(async () => {
    server = await startOpenShiftServer();
    server.addImageStream('team-a', streamOf({ '1.0': 'apk-alpine-3.20.3', '2.0': 'dpkg-debian-11' }));
    for (const image of [alpine, debian]) server.addImage({ metadata: { name: image.digest }, dockerImageReference: image.references.open! });
    server.setForbidden('list', 'imagestreams', 'team-b');
    workdir = fs.mkdtempSync(path.join(os.tmpdir(), 'iw-openshift-'));
  });
  afterAll(async () => {
    await server.stop();
    fs.rmSync(workdir, { recursive: true, force: true });
  });

  test('run-now --job sweep discovers the streams of the listed namespaces, scans their images from the registry, reports the forbidden namespace', async () => {
    const config = path.join(workdir, 'config.yaml');
    fs.writeFileSync(
      config,
      [
        `database: ${path.join(workdir, 'sweep.db')}`,
        'scan: { workers: 1 }',
        'sources:',
        `  - { name: cluster, type: openshift, kubeconfig: ${server.kubeconfigPath}, namespaces: [team-a, team-b] }`,
        '',
      ].join('\n'),
    );
    const sweep = await cli(['run-now', '--job', 'sweep'], { config, timeoutMs: 120_000 });
    expect(sweep.status).toBe(0);
    expect(sweep.stdout + sweep.stderr).toContain(
      'namespace team-b: source cluster: listing image streams in namespace team-b: imagestreams.image.openshift.io is forbidden',
    );
    expect(server.requests.map((r) => `${r.method} ${r.path} ${r.status}`)).toEqual([
      'GET /apis/image.openshift.io/v1/namespaces/team-a/imagestreams 200',
      'GET /apis/image.openshift.io/v1/namespaces/team-b/imagestreams 403',
    ]);

    const listed = await cli(['images', '--json'], { config });
    expect(listed.status).toBe(0);
    const stored = (JSON.parse(listed.stdout) as { digest: string; tag: string; status: string; source: string; namespace: string; packageCount: number; os: { id: string } }[])
      .map((i) => ({ digest: i.digest, tag: i.tag, status: i.status, source: i.source, namespace: i.namespace, os: i.os.id, packages: i.packageCount }))
      .sort((a, b) => a.tag.localeCompare(b.tag));
    // The stream tag names the image; its packages come from the blobs the source's reference pointed at.
    expect(stored).toEqual([
      { digest: alpine.digest, tag: '1.0', status: 'scanned', source: 'cluster', namespace: 'team-a', os: 'alpine', packages: alpine.expected.packages!.count },
      { digest: debian.digest, tag: '2.0', status: 'scanned', source: 'cluster', namespace: 'team-a', os: 'debian', packages: debian.expected.packages!.count },
    ]);
  });

  test('the compiled enforcer denies an image and then leaves it alone', async () => {
    const script = `
      const { openDatabase } = require(process.env.DIST + '/store/database.js');
      const { OpenShiftEnforcer } = require(process.env.DIST + '/enforce/openshift-enforcer.js');
      const input = JSON.parse(process.env.INPUT);
      const db = openDatabase(input.db);
      const enforcer = new OpenShiftEnforcer({ source: 'cluster', kubeconfig: input.kubeconfig, dryRun: false, enforceUnknown: false, db, log: () => {}, scannerVersion: '0.1.0' });
      (async () => {
        const first = await enforcer.enforce(input.subjects, {});
        const second = await enforcer.enforce(input.subjects, {});
        console.log(JSON.stringify({ first, second }));
      })().catch((e) => { console.error(e); process.exit(2); });
    `;
    const verdict = {
      digest: alpine.digest,
      state: 'non-compliant',
      failedPolicies: [{ name: 'Fixable Critical and High vulnerabilities', rule: 'vulnerabilities', severity: 'High', enforcement: 'enforce', description: '', rationale: '', remediation: '', violations: [] }],
      summary: { Critical: 0, High: 1, Medium: 0, Low: 0, Unknown: 0, fixable: 1 },
      inputs: { policies: 'p', findings: 'f', expiredIgnores: [] },
      evaluatedAt: '2026-01-05T10:00:00.000Z',
      changedAt: '2026-01-05T10:00:00.000Z',
    };
    server.requests.length = 0;
    const run = await runCompiled(script, {
      db: path.join(workdir, 'enforce.db'),
      kubeconfig: server.kubeconfigPath,
      subjects: [{ source: 'cluster', imageName: alpine.digest, reference: alpine.references.open, verdict }],
    });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const { first, second } = JSON.parse(run.stdout);
    expect(first.denied).toBe(1);
    expect(second.unchanged).toBe(1);
    expect(server.requests.map((r) => r.method)).toEqual(['GET', 'PATCH', 'GET']);
    expect(server.requests[1].contentType).toBe('application/merge-patch+json');
    expect(server.images.get(alpine.digest)?.metadata.annotations?.['images.openshift.io/deny-execution']).toBe('true');
  });
});
