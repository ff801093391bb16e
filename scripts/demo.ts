/**
 * The main job on the embedded default: starts Debian's docker-registry on 127.0.0.1, pushes the
 * demo images (real package databases and image archives from test/fixtures), writes a config
 * whose source is that registry and whose feeds are the demo feeds (real Alpine secdb, Ubuntu
 * OSV and Red Hat OVAL data), and runs `imagewarden run-now` — feeds, match, sweep, report — into
 * ./imagewarden.db and ./reports, then lists the verdicts and shows one `check` as CI would see it.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { IMAGE_FIXTURES_DIR } from '../test/support/fixture-paths';
import { main } from '../src/cli/main';
import { fixtureImage } from '../test/support/fixture-images';
import { pushFixtureImage } from '../test/support/push-fixture';
import { RegistryClient } from '../test/support/registry-client';
import { startRegistry } from '../test/support/registry';

const DEMO_IMAGES = [
  'archive-alpine-3.10',
  'archive-alpine-3.14-oci',
  'rpm-bdb-rhel-8',
  'rpm-sqlite-mariner-2.0',
  'rpm-ndb-sles-15.3',
  'dpkg-ubuntu-22.04',
  'dpkg-distroless-debian-11',
  'multiarch-oci-index',
  'policy-root-latest',
  // A garbage rpm database, there on purpose: its verdict must be `unknown`, never compliant.
  'hostile-garbage-rpm',
];

const FEEDS: [name: string, file: string][] = [
  ['alpine-3.10-main', 'alpine-secdb/v3.10-main.yaml'],
  ['ubuntu-osv', 'osv/ubuntu'],
  ['rhel-8-oval', 'redhat-oval/com.redhat.rhsa-RHEL8.xml'],
];

async function demo(): Promise<number> {
  const registry = await startRegistry({ auth: 'none' });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'imagewarden-demo-'));
  try {
    const client = new RegistryClient(registry.url);
    for (const id of DEMO_IMAGES) await pushFixtureImage(fixtureImage(id), [client]);
    process.stdout.write(`docker-registry on ${registry.url}: pushed ${DEMO_IMAGES.length} demo images\n`);
    const config = path.join(dir, 'config.yaml');
    fs.writeFileSync(
      config,
      [
        'database: ./imagewarden.db',
        'report: { directory: ./reports, title: demo registry }',
        'sources:',
        `  - { name: demo, type: registry, url: "${registry.url}" }`,
        'feeds:',
        ...FEEDS.map(([name, file]) => `  - { name: ${name}, path: "${path.join(IMAGE_FIXTURES_DIR, 'feeds', file)}" }`),
        'policies:',
        '  rules:',
        '    - { name: Latest tag, rule: latest-tag, enforcement: inform }',
        '    - { name: Root user, rule: root-user, enforcement: inform }',
        '',
      ].join('\n'),
    );
    process.stdout.write(`config: ${config}\n\n$ imagewarden run-now\n`);
    const ran = await main(['--config', config, 'run-now']);
    if (ran !== 0) return ran;
    process.stdout.write('\n$ imagewarden images\n');
    await main(['--config', config, 'images']);
    const rhel = fixtureImage('rpm-bdb-rhel-8');
    const ref = `${registry.host}/${rhel.repository}:${rhel.tags[0]}`;
    process.stdout.write(`\n$ imagewarden check ${ref}\n`);
    const code = await main(['--config', config, 'check', ref]);
    process.stdout.write(`(exit ${code}: ${code === 1 ? 'non-compliant, as a CI gate would stop it' : 'compliant'})\n`);
    // The RHEL 8.0 image carries fixable High advisories: anything but 1 means the demo went wrong.
    return code === 1 ? 0 : 2;
  } finally {
    await registry.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

demo().then(
  (code) => (process.exitCode = code),
  (e: unknown) => {
    process.stderr.write(`demo failed: ${(e as Error).stack ?? String(e)}\n`);
    process.exitCode = 2;
  },
);
