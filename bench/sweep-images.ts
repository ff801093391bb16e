import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { sha256Digest } from '../test/support/digest';
import { buildImageConfig } from '../test/support/image-config';
import { buildLayer, type Layer } from '../test/support/layer';
import { buildManifest } from '../test/support/manifest';
import { mapWithLimit } from '../test/support/run-pool';

const FIXTURES = path.join(__dirname, '..', '..', 'test', 'fixtures');
const MiB = 1024 * 1024;

export interface GeneratedImage {
  repository: string;
  tag: string;
  manifest: { body: Buffer; mediaType: string; digest: string };
  config: Buffer;
  unique: Layer;
}

export interface BenchImages {
  base: Layer;
  images: GeneratedImage[];
  repositories: string[];
}

/**
 * `count` images over `repositories` repositories. All share one base layer (Debian 11's
 * os-release and dpkg status, plus `baseFillerBytes` of incompressible filler so the base weighs
 * a few MiB as a real one does); each has one small layer of its own holding the dpkg status
 * with one package version changed, so every image has its own inventory.
 */
export async function generateBenchImages(count: number, repositories: number, baseFillerBytes = 4 * MiB): Promise<BenchImages> {
  const status = readFileSync(path.join(FIXTURES, 'pkgdb', 'dpkg', 'debian-11.status'), 'utf8');
  const osRelease = readFileSync(path.join(FIXTURES, 'os-release', 'debian-11.os-release'));
  const base = await buildLayer(
    [
      { type: 'file', path: 'etc/os-release', content: osRelease },
      { type: 'file', path: 'var/lib/dpkg/status', content: status },
      { type: 'file', path: 'usr/share/bench/filler.bin', content: randomBytes(baseFillerBytes) },
    ],
    'gzip',
  );
  const repos = Array.from({ length: repositories }, (_, i) => `bench/app-${String(i).padStart(3, '0')}`);
  const images = await mapWithLimit(
    Array.from({ length: count }, (_, i) => i),
    8,
    async (i): Promise<GeneratedImage> => {
      // The first package's version gets a per-image suffix: a different package DB per image.
      const own = status.replace(/^Version: (.+)$/m, (_m, v: string) => `Version: ${v}+bench${i}`);
      const unique = await buildLayer([{ type: 'file', path: 'var/lib/dpkg/status', content: own }], 'gzip');
      const created = new Date(Date.UTC(2025, 0, 1) + i * 60_000).toISOString();
      const config = buildImageConfig({ created, user: '1000' }, [base.diffId, unique.diffId]);
      const manifest = buildManifest('docker', config, [base, unique]);
      return { repository: repos[i % repositories]!, tag: `v${i}`, manifest, config, unique };
    },
  );
  return { base, images, repositories: repos };
}

/** Pushes to a plain-http registry with no auth: blobs concurrently, the base once and mounted elsewhere. */
export async function pushBenchImages(registryUrl: string, set: BenchImages, concurrency = 16): Promise<void> {
  const [first, ...others] = set.repositories;
  await pushBlob(registryUrl, first!, set.base.blob);
  await mapWithLimit(others, concurrency, (repo) => mountBlob(registryUrl, repo, first!, set.base.digest));
  await mapWithLimit(set.images, concurrency, async (image) => {
    await pushBlob(registryUrl, image.repository, image.config);
    await pushBlob(registryUrl, image.repository, image.unique.blob);
    await pushManifest(registryUrl, image.repository, image.tag, image.manifest);
  });
}

/** More tags on already pushed manifests: a manifest PUT each, no blob moves. */
export async function tagBenchImages(registryUrl: string, set: BenchImages, tagsPerImage: number, concurrency = 16): Promise<number> {
  const extra = set.images.flatMap((image) => Array.from({ length: tagsPerImage - 1 }, (_, k) => ({ image, tag: `${image.tag}-alias${k}` })));
  await mapWithLimit(extra, concurrency, ({ image, tag }) => pushManifest(registryUrl, image.repository, tag, image.manifest));
  return set.images.length + extra.length;
}

async function expectStatus(res: Response, status: number, what: string): Promise<Response> {
  if (res.status !== status) throw new Error(`${what}: HTTP ${res.status} ${(await res.text()).slice(0, 200)}`);
  return res;
}

async function pushBlob(registryUrl: string, repository: string, data: Buffer): Promise<void> {
  const digest = sha256Digest(data);
  const started = await expectStatus(await fetch(`${registryUrl}/v2/${repository}/blobs/uploads/`, { method: 'POST' }), 202, `upload to ${repository}`);
  await started.arrayBuffer();
  const location = new URL(started.headers.get('location')!, registryUrl);
  location.searchParams.set('digest', digest);
  const done = await fetch(location, { method: 'PUT', body: data, headers: { 'content-type': 'application/octet-stream' } });
  await (await expectStatus(done, 201, `blob ${digest} to ${repository}`)).arrayBuffer();
}

async function mountBlob(registryUrl: string, repository: string, from: string, digest: string): Promise<void> {
  const res = await fetch(`${registryUrl}/v2/${repository}/blobs/uploads/?mount=${digest}&from=${from}`, { method: 'POST' });
  await (await expectStatus(res, 201, `mount of ${digest} into ${repository}`)).arrayBuffer();
}

async function pushManifest(registryUrl: string, repository: string, tag: string, manifest: { body: Buffer; mediaType: string }): Promise<void> {
  const res = await fetch(`${registryUrl}/v2/${repository}/manifests/${tag}`, { method: 'PUT', body: manifest.body, headers: { 'content-type': manifest.mediaType } });
  await (await expectStatus(res, 201, `manifest ${repository}:${tag}`)).arrayBuffer();
}
