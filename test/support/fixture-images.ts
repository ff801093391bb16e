import type { Platform } from './manifest';
import type { ExpectedScan, FixtureImageRecipe, ImageRecipe, RecipeEntry } from './recipe-types';

/*
 * Every image global-setup pushes, declared as data: where each file comes from, how layers
 * are compressed, and what a correct scan must report. Tests look images up here (or in the
 * pushed-environment file) by id or by the fixture their package database came from.
 */

function fromFixture(path: string, fixture: string): RecipeEntry {
  return { type: 'file', path, content: { fixture } };
}

/** The layout of current Debian, RHEL and Alpine images: the real file in usr/lib, a relative link in etc. */
function linkedOsRelease(fixture: string): RecipeEntry[] {
  return [
    fromFixture('usr/lib/os-release', `os-release/${fixture}`),
    { type: 'symlink', path: 'etc/os-release', target: '../usr/lib/os-release' },
  ];
}

function osRelease(fixture: string): RecipeEntry {
  return fromFixture('etc/os-release', `os-release/${fixture}`);
}

const DEBIAN_11_FILES: RecipeEntry[] = [
  ...linkedOsRelease('debian-11.os-release'),
  fromFixture('var/lib/dpkg/status', 'pkgdb/dpkg/debian-11.status'),
];

const UBUNTU_22_04_FILES: RecipeEntry[] = [
  osRelease('ubuntu-22.04.3.os-release'),
  fromFixture('var/lib/dpkg/status', 'pkgdb/dpkg/ubuntu-22.04.status'),
];

const ALPINE_3_18_FILES: RecipeEntry[] = [
  osRelease('alpine-3.18.9-x86_64.os-release'),
  fromFixture('lib/apk/db/installed', 'pkgdb/apk/alpine-3.18.9-x86_64.installed'),
];

const ALPINE_3_20_FILES: RecipeEntry[] = [
  ...linkedOsRelease('alpine-3.20.3-x86_64.os-release'),
  fromFixture('lib/apk/db/installed', 'pkgdb/apk/alpine-3.20.3-x86_64.installed'),
];

const AMD64: Platform = { architecture: 'amd64', os: 'linux' };
const ARM64: Platform = { architecture: 'arm64', os: 'linux', variant: 'v8' };

function single(files: RecipeEntry[], compression: 'gzip' | 'zstd' | 'none' = 'gzip', config: ImageRecipe['config'] = {}): ImageRecipe {
  return { config, layers: [{ compression, entries: files }] };
}

const EXPECT_DEBIAN_11: ExpectedScan = {
  os: { id: 'debian', version: '11' },
  packages: {
    ecosystem: 'dpkg',
    path: 'var/lib/dpkg/status',
    fixture: 'pkgdb/dpkg/debian-11.status',
    count: 96,
    sample: { name: 'libc6', version: '2.31-13+deb11u5' },
  },
};

const EXPECT_UBUNTU_22_04: ExpectedScan = {
  os: { id: 'ubuntu', version: '22.04' },
  packages: {
    ecosystem: 'dpkg',
    path: 'var/lib/dpkg/status',
    fixture: 'pkgdb/dpkg/ubuntu-22.04.status',
    count: 101,
    sample: { name: 'libc6', version: '2.35-0ubuntu3.1' },
  },
};

const EXPECT_ALPINE_3_18: ExpectedScan = {
  os: { id: 'alpine', version: '3.18.9' },
  packages: {
    ecosystem: 'apk',
    path: 'lib/apk/db/installed',
    fixture: 'pkgdb/apk/alpine-3.18.9-x86_64.installed',
    count: 15,
    sample: { name: 'musl', version: '1.2.4-r2' },
  },
};

const EXPECT_ALPINE_3_20: ExpectedScan = {
  os: { id: 'alpine', version: '3.20.3' },
  packages: {
    ecosystem: 'apk',
    path: 'lib/apk/db/installed',
    fixture: 'pkgdb/apk/alpine-3.20.3-x86_64.installed',
    count: 14,
    sample: { name: 'musl', version: '1.2.5-r0' },
  },
};

const POLICY_LABELS = {
  maintainer: 'platform-team@example.test',
  'org.opencontainers.image.title': 'root-latest',
  'com.example.team': 'platform',
};

export const FIXTURE_IMAGES: readonly FixtureImageRecipe[] = [
  // Real archives, pushed byte for byte.
  {
    id: 'archive-alpine-3.10',
    description: 'docker-save archive of alpine:3.10 (gzipped outer tar), one uncompressed layer',
    kind: 'docker-archive',
    archive: 'images/alpine-3.10.docker-save.tar.gz',
    repository: 'archives/alpine',
    tags: ['3.10'],
    registries: ['open'],
    expected: {
      os: { id: 'alpine', version: '3.10.4' },
      packages: {
        ecosystem: 'apk',
        path: 'lib/apk/db/installed',
        fixture: 'images/alpine-3.10.docker-save.tar.gz',
        count: 14,
        sample: { name: 'musl', version: '1.1.22-r3' },
      },
    },
  },
  {
    id: 'archive-alpine-3.14-oci',
    description: 'containerd OCI layout of alpine:3.14: a Docker manifest list over one schema2 manifest, digests preserved',
    kind: 'oci-layout',
    archive: 'images/alpine-3.14.containerd-oci.tar',
    repository: 'archives/alpine',
    tags: ['3.14'],
    registries: ['open', 'htpasswd', 'token'],
    expected: {
      os: { id: 'alpine', version: '3.14.9' },
      packages: {
        ecosystem: 'apk',
        path: 'lib/apk/db/installed',
        fixture: 'images/alpine-3.14.containerd-oci.tar',
        count: 14,
        sample: { name: 'musl', version: '1.2.2-r3' },
      },
    },
  },
  {
    id: 'archive-dockergoof',
    description:
      'docker-save archive with 4 uncompressed Debian 8 layers, each with its own dpkg status (the top one wins); ' +
      'os-release only at usr/lib/os-release. The source project trimmed the layers, so the config lists 9 diff_ids ' +
      'that match none of the 4 layers',
    kind: 'docker-archive',
    archive: 'images/dockergoof-debian-8-multilayer.docker-save.tar',
    repository: 'archives/dockergoof',
    tags: ['debian-8'],
    registries: ['open'],
    expected: {
      os: { id: 'debian', version: '8' },
      packages: {
        ecosystem: 'dpkg',
        path: 'var/lib/dpkg/status',
        fixture: 'images/dockergoof-debian-8-multilayer.docker-save.tar',
        count: 381,
        sample: { name: 'libc6', version: '2.19-18+deb8u10' },
      },
    },
  },

  // One image per real package database.
  {
    id: 'rpm-bdb-rhel-8',
    description: 'RHEL 8.0 UBI Berkeley DB rpmdb at var/lib/rpm/Packages with the RHEL 8.1 os-release',
    kind: 'built',
    format: 'docker',
    repository: 'rpm/rhel-ubi8-bdb',
    tags: ['8.0'],
    registries: ['open'],
    image: single([
      ...linkedOsRelease('rhel-8.1.os-release'),
      fromFixture('var/lib/rpm/Packages', 'pkgdb/rpm/rhel-8.0-ubi-bdb/Packages'),
    ]),
    expected: {
      os: { id: 'rhel', version: '8.1' },
      packages: {
        ecosystem: 'rpm',
        path: 'var/lib/rpm/Packages',
        fixture: 'pkgdb/rpm/rhel-8.0-ubi-bdb/Packages',
        count: 101,
        sample: { name: 'curl', version: '7.61.1-8.el8' },
      },
    },
  },
  {
    id: 'rpm-sqlite-mariner-2.0',
    description: 'CBL-Mariner 2.0 SQLite rpmdb at usr/lib/sysimage/rpm/rpmdb.sqlite',
    kind: 'built',
    format: 'oci',
    repository: 'rpm/cbl-mariner-sqlite',
    tags: ['2.0'],
    registries: ['open'],
    image: single([
      osRelease('cbl-mariner-2.0.os-release'),
      fromFixture('usr/lib/sysimage/rpm/rpmdb.sqlite', 'pkgdb/rpm/cbl-mariner-2.0-sqlite/rpmdb.sqlite'),
    ]),
    expected: {
      os: { id: 'mariner', version: '2.0' },
      packages: {
        ecosystem: 'rpm',
        path: 'usr/lib/sysimage/rpm/rpmdb.sqlite',
        fixture: 'pkgdb/rpm/cbl-mariner-2.0-sqlite/rpmdb.sqlite',
        count: 129,
        sample: { name: 'curl', version: '7.76.0-6.cm2' },
      },
    },
  },
  {
    id: 'rpm-ndb-sles-15.3',
    description: 'SUSE BCI (SLES 15 SP3) NDB rpmdb at usr/lib/sysimage/rpm/Packages.db',
    kind: 'built',
    format: 'docker',
    repository: 'rpm/sles-bci-ndb',
    tags: ['15.3'],
    registries: ['open'],
    image: single([
      osRelease('sles-15.3.os-release'),
      fromFixture('usr/lib/sysimage/rpm/Packages.db', 'pkgdb/rpm/sles-15.3-bci-ndb/Packages.db'),
    ]),
    expected: {
      os: { id: 'sles', version: '15.3' },
      packages: {
        ecosystem: 'rpm',
        path: 'usr/lib/sysimage/rpm/Packages.db',
        fixture: 'pkgdb/rpm/sles-15.3-bci-ndb/Packages.db',
        count: 35,
        sample: { name: 'sles-release', version: '15.3-55.4.1' },
      },
    },
  },
  {
    id: 'dpkg-debian-11',
    description: 'Debian 11 dpkg status; etc/os-release is a relative symlink to usr/lib/os-release',
    kind: 'built',
    format: 'docker',
    repository: 'dpkg/debian',
    tags: ['11'],
    registries: ['open'],
    image: single(DEBIAN_11_FILES),
    expected: EXPECT_DEBIAN_11,
  },
  {
    id: 'dpkg-ubuntu-22.04',
    description: 'Ubuntu 22.04 dpkg status with the 22.04.3 os-release',
    kind: 'built',
    format: 'oci',
    repository: 'dpkg/ubuntu',
    tags: ['22.04'],
    registries: ['open'],
    image: single(UBUNTU_22_04_FILES),
    expected: EXPECT_UBUNTU_22_04,
  },
  {
    id: 'dpkg-nginx-debian-10',
    description: 'dpkg status and os-release of the official nginx image on Debian 10.1',
    kind: 'built',
    format: 'docker',
    repository: 'dpkg/nginx',
    tags: ['debian-10'],
    registries: ['open'],
    image: single(
      [osRelease('debian-10.1-nginx.os-release'), fromFixture('var/lib/dpkg/status', 'pkgdb/dpkg/debian-10-nginx.status')],
      'gzip',
      { cmd: ['nginx', '-g', 'daemon off;'], exposedPorts: ['80/tcp'], labels: { maintainer: 'NGINX Docker Maintainers' } },
    ),
    expected: {
      os: { id: 'debian', version: '10' },
      packages: {
        ecosystem: 'dpkg',
        path: 'var/lib/dpkg/status',
        fixture: 'pkgdb/dpkg/debian-10-nginx.status',
        count: 84,
        sample: { name: 'libc6', version: '2.28-10' },
      },
    },
  },
  {
    id: 'dpkg-distroless-debian-11',
    description: 'distroless layout: var/lib/dpkg/status.d/<package>, one stanza per file split from the Debian 11 status; non-root user',
    kind: 'built',
    format: 'oci',
    repository: 'dpkg/distroless',
    tags: ['debian-11'],
    registries: ['open'],
    image: single(
      [osRelease('debian-11.os-release'), { type: 'dpkg-status-d', dir: 'var/lib/dpkg/status.d', fixture: 'pkgdb/dpkg/debian-11.status' }],
      'gzip',
      { user: '65532' },
    ),
    expected: {
      ...EXPECT_DEBIAN_11,
      packages: { ...(EXPECT_DEBIAN_11.packages as NonNullable<ExpectedScan['packages']>), path: 'var/lib/dpkg/status.d/*' },
      config: { user: '65532' },
    },
  },
  {
    id: 'apk-alpine-3.18.9',
    description: 'Alpine 3.18.9 apk installed DB; bin/sh is a hard link and bin/ls an absolute symlink to bin/busybox',
    kind: 'built',
    format: 'docker',
    repository: 'apk/alpine',
    tags: ['3.18.9'],
    registries: ['open'],
    image: single([
      ...ALPINE_3_18_FILES,
      { type: 'dir', path: 'bin' },
      { type: 'file', path: 'bin/busybox', content: { text: '#!/bin/true\n' }, mode: 0o755 },
      { type: 'hardlink', path: 'bin/sh', target: 'bin/busybox' },
      { type: 'symlink', path: 'bin/ls', target: '/bin/busybox' },
    ]),
    expected: EXPECT_ALPINE_3_18,
  },
  {
    id: 'apk-alpine-3.20.3',
    description: 'Alpine 3.20.3 apk installed DB; also pushed to the htpasswd and token registries',
    kind: 'built',
    format: 'oci',
    repository: 'apk/alpine',
    tags: ['3.20.3'],
    registries: ['open', 'htpasswd', 'token'],
    image: single(ALPINE_3_20_FILES),
    expected: EXPECT_ALPINE_3_20,
  },

  // Compression and layer-format variants.
  {
    id: 'variant-zstd-debian-11',
    description: 'the Debian 11 image with its layer compressed by zstd (OCI tar+zstd)',
    kind: 'built',
    format: 'oci',
    repository: 'variants/debian-zstd',
    tags: ['11'],
    registries: ['open'],
    image: single(DEBIAN_11_FILES, 'zstd'),
    expected: EXPECT_DEBIAN_11,
  },
  {
    id: 'variant-uncompressed-ubuntu-22.04',
    description: 'the Ubuntu 22.04 image with an uncompressed layer (OCI tar)',
    kind: 'built',
    format: 'oci',
    repository: 'variants/ubuntu-uncompressed',
    tags: ['22.04'],
    registries: ['open'],
    image: single(UBUNTU_22_04_FILES, 'none'),
    expected: EXPECT_UBUNTU_22_04,
  },

  // Whiteouts.
  {
    id: 'layers-dpkg-whiteout',
    description: 'Debian 11 base layer, then a layer whose .wh.status deletes var/lib/dpkg/status: no package DB survives',
    kind: 'built',
    format: 'docker',
    repository: 'layers/dpkg-whiteout',
    tags: ['latest'],
    registries: ['open'],
    image: {
      config: {},
      layers: [
        { compression: 'gzip', entries: DEBIAN_11_FILES },
        { compression: 'gzip', entries: [{ type: 'whiteout', path: 'var/lib/dpkg/status' }] },
      ],
    },
    expected: { os: EXPECT_DEBIAN_11.os, packages: null },
  },
  {
    id: 'layers-apk-opaque',
    description:
      'Alpine 3.18.9 base layer, then a layer that makes lib/apk/db opaque and puts only a lock file in it: ' +
      'the installed DB from below is hidden',
    kind: 'built',
    format: 'oci',
    repository: 'layers/apk-opaque',
    tags: ['latest'],
    registries: ['open'],
    image: {
      config: {},
      layers: [
        { compression: 'gzip', entries: ALPINE_3_18_FILES },
        {
          compression: 'gzip',
          entries: [
            { type: 'opaque', dir: 'lib/apk/db' },
            { type: 'file', path: 'lib/apk/db/lock', content: { text: '' } },
          ],
        },
      ],
    },
    expected: { os: EXPECT_ALPINE_3_18.os, packages: null },
  },

  // Multi-arch: amd64 and arm64 carry different package databases.
  {
    id: 'multiarch-oci-index',
    description: 'OCI image index: linux/amd64 is Alpine 3.20.3, linux/arm64/v8 is Alpine 3.18.9',
    kind: 'multi-arch',
    format: 'oci',
    repository: 'multiarch/alpine',
    tags: ['oci-index'],
    registries: ['open'],
    platforms: [
      { platform: AMD64, image: single(ALPINE_3_20_FILES), expected: EXPECT_ALPINE_3_20 },
      { platform: ARM64, image: single(ALPINE_3_18_FILES, 'gzip', { architecture: 'arm64', variant: 'v8' }), expected: EXPECT_ALPINE_3_18 },
    ],
    expected: EXPECT_ALPINE_3_20,
  },
  {
    id: 'multiarch-docker-list',
    description: 'Docker manifest list: linux/amd64 is Debian 11, linux/arm64/v8 is Ubuntu 22.04',
    kind: 'multi-arch',
    format: 'docker',
    repository: 'multiarch/debian-ubuntu',
    tags: ['manifest-list'],
    registries: ['open'],
    platforms: [
      { platform: AMD64, image: single(DEBIAN_11_FILES), expected: EXPECT_DEBIAN_11 },
      {
        platform: ARM64,
        image: single(UBUNTU_22_04_FILES, 'gzip', { architecture: 'arm64', variant: 'v8' }),
        expected: EXPECT_UBUNTU_22_04,
      },
    ],
    expected: EXPECT_DEBIAN_11,
  },

  // Hostile images: each must fail its scan with the stated error kind, never read as clean.
  {
    id: 'hostile-corrupt-gzip',
    description: 'single layer typed tar+gzip whose blob is a valid gzip header followed by junk',
    kind: 'built',
    format: 'docker',
    repository: 'hostile/corrupt-gzip',
    tags: ['latest'],
    registries: ['open'],
    image: { config: {}, layers: [{ compression: 'gzip', entries: DEBIAN_11_FILES, corrupt: 'gzip-garbage' }] },
    expected: { os: null, packages: null, failure: 'layer' },
  },
  {
    id: 'hostile-path-traversal',
    description: 'a layer whose entries climb out of the root (../../etc/passwd) next to an absolute path and a normal os-release',
    kind: 'built',
    format: 'docker',
    repository: 'hostile/path-traversal',
    tags: ['latest'],
    registries: ['open'],
    image: single([
      osRelease('debian-11.os-release'),
      { type: 'file', path: '../../etc/passwd', content: { text: 'root:x:0:0:escaped:/root:/bin/sh\n' } },
      { type: 'file', path: '/etc/hostile-absolute', content: { text: 'absolute path entry\n' } },
      fromFixture('../../../var/lib/dpkg/status', 'pkgdb/dpkg/debian-11.status'),
    ]),
    expected: { os: null, packages: null, failure: 'layer' },
  },
  {
    id: 'hostile-garbage-rpm',
    description: 'RHEL os-release and 64 KiB of deterministic junk at var/lib/rpm/Packages',
    kind: 'built',
    format: 'docker',
    repository: 'hostile/garbage-rpm',
    tags: ['latest'],
    registries: ['open'],
    image: single([
      osRelease('rhel-8.1.os-release'),
      { type: 'file', path: 'var/lib/rpm/Packages', content: { junk: { seed: 'garbage-rpm', bytes: 65536 } } },
    ]),
    expected: { os: null, packages: null, failure: 'analyzer' },
  },
  {
    id: 'hostile-garbage-dpkg',
    description: 'Debian 11 os-release and 8 KiB of binary junk at var/lib/dpkg/status',
    kind: 'built',
    format: 'docker',
    repository: 'hostile/garbage-dpkg',
    tags: ['latest'],
    registries: ['open'],
    image: single([
      osRelease('debian-11.os-release'),
      { type: 'file', path: 'var/lib/dpkg/status', content: { junk: { seed: 'garbage-dpkg', bytes: 8192 } } },
    ]),
    expected: { os: null, packages: null, failure: 'analyzer' },
  },
  {
    id: 'hostile-garbage-apk',
    description: 'Alpine 3.20.3 os-release and 8 KiB of binary junk at lib/apk/db/installed',
    kind: 'built',
    format: 'oci',
    repository: 'hostile/garbage-apk',
    tags: ['latest'],
    registries: ['open'],
    image: single([
      osRelease('alpine-3.20.3-x86_64.os-release'),
      { type: 'file', path: 'lib/apk/db/installed', content: { junk: { seed: 'garbage-apk', bytes: 8192 } } },
    ]),
    expected: { os: null, packages: null, failure: 'analyzer' },
  },

  // Catalog, tag and policy cases.
  {
    id: 'catalog-multi-tag',
    description: 'one image under four tags; the same bytes as apk-alpine-3.20.3, so its digest is shared across repositories',
    kind: 'built',
    format: 'oci',
    repository: 'catalog/multi-tag',
    tags: ['1.0', '1.1', '2.0', 'stable'],
    registries: ['open'],
    image: single(ALPINE_3_20_FILES),
    expected: EXPECT_ALPINE_3_20,
  },
  {
    id: 'policy-root-latest',
    description: 'Debian 11 image tagged latest whose config runs as User root and carries labels',
    kind: 'built',
    format: 'docker',
    repository: 'policy/root-latest',
    tags: ['latest'],
    registries: ['open'],
    image: single(DEBIAN_11_FILES, 'gzip', { user: 'root', labels: POLICY_LABELS }),
    expected: { ...EXPECT_DEBIAN_11, config: { user: 'root', labels: POLICY_LABELS } },
  },
];

export function fixtureImage(id: string): FixtureImageRecipe {
  const found = FIXTURE_IMAGES.find((r) => r.id === id);
  if (!found) throw new Error(`no fixture image "${id}"; known: ${FIXTURE_IMAGES.map((r) => r.id).join(', ')}`);
  return found;
}

/** The images whose surviving package database came from the given fixture file. */
export function fixtureImagesWithPackagesFrom(fixture: string): FixtureImageRecipe[] {
  return FIXTURE_IMAGES.filter((r) => r.expected.packages?.fixture === fixture);
}
