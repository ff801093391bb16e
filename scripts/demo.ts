/**
 * The main job on the embedded default: starts Debian's docker-registry on 127.0.0.1, pushes the
 * demo images (real package databases and image archives from test/fixtures), imports the demo
 * feeds (real Alpine secdb, Ubuntu OSV and Red Hat OVAL data), runs `imagewarden check` on each
 * image, then `run-now --job match` and `imagewarden images`, storing into ./imagewarden.db.
 */
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
  'hostile-garbage-rpm',
];

async function demo(): Promise<number> {
  const registry = await startRegistry({ auth: 'none' });
  try {
    const client = new RegistryClient(registry.url);
    const refs: string[] = [];
    for (const id of DEMO_IMAGES) {
      const recipe = fixtureImage(id);
      await pushFixtureImage(recipe, [client]);
      refs.push(`${registry.host}/${recipe.repository}:${recipe.tags[0]}`);
    }
    process.stdout.write(`docker-registry on ${registry.url}: pushed ${refs.length} demo images\n\n`);
    const feeds = path.join(IMAGE_FIXTURES_DIR, 'feeds');
    for (const [name, file] of [
      ['alpine-3.10-main', 'alpine-secdb/v3.10-main.yaml'],
      ['ubuntu-osv', 'osv/ubuntu'],
      ['rhel-8-oval', 'redhat-oval/com.redhat.rhsa-RHEL8.xml'],
    ]) {
      process.stdout.write(`$ imagewarden feeds import --name ${name} ${file}\n`);
      if ((await main(['feeds', 'import', '--name', name, path.join(feeds, file)])) !== 0) return 2;
    }
    process.stdout.write('\n');
    const failures: string[] = [];
    for (const ref of refs) {
      process.stdout.write(`$ imagewarden check ${ref}\n`);
      const code = await main(['check', ref]);
      process.stdout.write(`(exit ${code})\n\n`);
      // 1 is a non-compliant image, which the demo data has; 2 is a failed scan.
      if (code === 2) failures.push(ref);
    }
    process.stdout.write('$ imagewarden run-now --job match\n');
    await main(['run-now', '--job', 'match']);
    process.stdout.write('\n$ imagewarden images\n');
    await main(['images']);
    // The garbage rpm database is there on purpose: it must fail, loudly.
    const unexpected = failures.filter((f) => !f.includes('hostile/'));
    return unexpected.length ? 2 : 0;
  } finally {
    await registry.stop();
  }
}

demo().then(
  (code) => (process.exitCode = code),
  (e: unknown) => {
    process.stderr.write(`demo failed: ${(e as Error).stack ?? String(e)}\n`);
    process.exitCode = 2;
  },
);
