import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { startProxy } from '../test/support/fault-proxy';
import { startRegistry } from '../test/support/registry';
import { mapWithLimit } from '../test/support/run-pool';
import { MANIFEST_ACCEPT } from '../test/support/media-types';
import { generateBenchImages, pushBenchImages, tagBenchImages, type BenchImages } from './sweep-images';
import { timedCli } from './timed-cli';

export interface SweepBenchResult {
  images: number;
  pushSeconds: number;
  coldSeconds: number;
  coldFloorSeconds: number;
  coldPerMinute: number;
  warmSeconds: number;
  warmBlobRequests: number;
  manyTags: number;
  manyTagsSeconds: number;
  manyTagsFloorSeconds: number;
  manyTagsBlobRequests: number;
  workers: number;
  concurrency: number;
}

const IMAGES = Number(process.env.IMAGEWARDEN_BENCH_SWEEP_IMAGES ?? 1000);
const REPOSITORIES = 20;
const TAGS_PER_IMAGE = 10;
/** Scans (and, for the floors, requests) in flight at once. */
const CONCURRENCY = 16;
const WORKERS = 2;

const seconds = (since: bigint) => Number(process.hrtime.bigint() - since) / 1e9;

/**
 * A registry of generated images sharing one base layer, swept cold, then warm; then tagged ten
 * times each and swept warm again. Each sweep is the real CLI (`run-now --job sweep`) in a child
 * process; each floor is the registry traffic alone at the same concurrency, measured in this run.
 */
export async function sweepBench(dir: string): Promise<SweepBenchResult> {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const registry = await startRegistry({ auth: 'none' });
  // Blob requests are counted through the proxy; it forwards without buffering.
  const proxy = await startProxy(registry.url);
  try {
    const set = await generateBenchImages(IMAGES, REPOSITORIES);
    let started = process.hrtime.bigint();
    await pushBenchImages(registry.url, set, CONCURRENCY);
    const pushSeconds = seconds(started);

    const db = path.join(dir, 'sweep.db');
    const config = path.join(dir, 'config.json');
    writeFileSync(
      config,
      JSON.stringify({
        database: db,
        scan: { workers: WORKERS, maxConcurrentScans: CONCURRENCY },
        registries: [{ host: proxy.host, insecure: true }],
        sources: [{ name: 'bench', type: 'registry', url: proxy.url, maxConcurrentScans: CONCURRENCY }],
      }),
    );
    const sweep = () => timedCli(['--config', config, 'run-now', '--job', 'sweep']);

    const coldFloorSeconds = await coldFloor(proxy.url, set);
    proxy.reset();
    const cold = await sweep();
    expectSweep(cold.stdout, { scanned: set.images.length, reused: 0 });
    proxy.reset();
    const warm = await sweep();
    expectSweep(warm.stdout, { scanned: 0, reused: set.images.length });
    const warmBlobRequests = proxy.counts().blobGet;

    started = process.hrtime.bigint();
    const manyTags = await tagBenchImages(registry.url, set, TAGS_PER_IMAGE, CONCURRENCY);
    process.stderr.write(`sweep bench: ${manyTags} tags pushed in ${seconds(started).toFixed(1)} s\n`);
    const manyTagsFloorSeconds = await warmFloor(proxy.url, set);
    proxy.reset();
    const many = await sweep();
    expectSweep(many.stdout, { scanned: 0, reused: set.images.length });
    const manyTagsBlobRequests = proxy.counts().blobGet;
    return {
      images: set.images.length,
      pushSeconds,
      coldSeconds: cold.seconds,
      coldFloorSeconds,
      coldPerMinute: (set.images.length / cold.seconds) * 60,
      warmSeconds: warm.seconds,
      warmBlobRequests,
      manyTags,
      manyTagsSeconds: many.seconds,
      manyTagsFloorSeconds,
      manyTagsBlobRequests,
      workers: WORKERS,
      concurrency: CONCURRENCY,
    };
  } finally {
    await proxy.stop();
    await registry.stop();
  }
}

/** A timed sweep only counts when it did the work: every digest scanned (cold) or reused (warm), none failed, no enumeration problem. */
function expectSweep(stdout: string, expected: { scanned: number; reused: number }): void {
  const m = /sweep: scanned (\d+), reused (\d+), failed (\d+)/.exec(stdout);
  const ok = m && Number(m[1]) === expected.scanned && Number(m[2]) === expected.reused && Number(m[3]) === 0 && !/problems/.test(stdout);
  if (!ok) throw new Error(`the sweep did not do what was timed (scanned ${expected.scanned}, reused ${expected.reused}, no failure):\n${stdout}`);
}

async function getBody(url: string, headers: Record<string, string> = {}): Promise<Buffer> {
  const res = await fetch(url, { headers });
  if (res.status !== 200) throw new Error(`floor GET ${url}: HTTP ${res.status}`);
  return Buffer.from(await res.arrayBuffer());
}

/** Every repository and tag listed (the catalog walk a sweep cannot skip), concurrently. */
async function listTags(url: string, set: BenchImages): Promise<{ repository: string; tag: string }[]> {
  await getBody(`${url}/v2/_catalog`);
  const lists = await mapWithLimit(set.repositories, 4, async (repository) => {
    const body = JSON.parse((await getBody(`${url}/v2/${repository}/tags/list`)).toString()) as { tags: string[] };
    return body.tags.map((tag) => ({ repository, tag }));
  });
  return lists.flat();
}

/** Cold floor: list, then GET every manifest, config and unique layer, and the base layer once; nothing parsed or stored. */
async function coldFloor(url: string, set: BenchImages): Promise<number> {
  const started = process.hrtime.bigint();
  await listTags(url, set);
  await getBody(`${url}/v2/${set.repositories[0]}/blobs/${set.base.digest}`);
  await mapWithLimit(set.images, CONCURRENCY, async (image) => {
    await getBody(`${url}/v2/${image.repository}/manifests/${image.tag}`, { accept: MANIFEST_ACCEPT });
    await getBody(`${url}/v2/${image.repository}/manifests/${image.manifest.digest}`, { accept: MANIFEST_ACCEPT });
    await getBody(`${url}/v2/${image.repository}/blobs/${configDigestOf(image.manifest.body)}`);
    await getBody(`${url}/v2/${image.repository}/blobs/${image.unique.digest}`);
  });
  return seconds(started);
}

/** Warm floor: list every tag and GET its manifest, at the same concurrency. */
async function warmFloor(url: string, set: BenchImages): Promise<number> {
  const started = process.hrtime.bigint();
  const tags = await listTags(url, set);
  await mapWithLimit(tags, CONCURRENCY, ({ repository, tag }) => getBody(`${url}/v2/${repository}/manifests/${tag}`, { accept: MANIFEST_ACCEPT }));
  return seconds(started);
}

function configDigestOf(manifest: Buffer): string {
  return (JSON.parse(manifest.toString()) as { config: { digest: string } }).config.digest;
}

export function printSweepBench(r: SweepBenchResult): void {
  const lines = [
    `sweep: ${r.images} generated images in ${REPOSITORIES} repositories sharing one base layer (Debian 11 dpkg status + 4 MiB), one unique dpkg layer each; ${r.workers} worker threads, ${r.concurrency} scans in flight`,
    `  push of the images (setup):                          ${r.pushSeconds.toFixed(1)} s`,
    `  floor (list + GET every manifest, config, unique layer): ${r.coldFloorSeconds.toFixed(2)} s`,
    `  cold sweep (real CLI, new database):                 ${r.coldSeconds.toFixed(2)} s = ${r.coldPerMinute.toFixed(0)} images/min (target >= 600)   ${(r.coldSeconds / r.coldFloorSeconds).toFixed(1)}x floor`,
    `  warm sweep (same ${r.images} tags):                    ${r.warmSeconds.toFixed(2)} s, ${r.warmBlobRequests} blob requests (target 0)`,
    `  floor (list ${r.manyTags} tags + GET every manifest):     ${r.manyTagsFloorSeconds.toFixed(2)} s`,
    `  warm sweep of ${r.manyTags} tags:                       ${r.manyTagsSeconds.toFixed(2)} s (target < 60), ${r.manyTagsBlobRequests} blob requests   ${(r.manyTagsSeconds / r.manyTagsFloorSeconds).toFixed(1)}x floor`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}
