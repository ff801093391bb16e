import { createWriteStream, type WriteStream } from 'node:fs';
import { once } from 'node:events';

/**
 * Writes large synthetic feeds for the memory and speed checks of the streaming importers: a
 * JSON array of OSV records, or one Debian tracker JSON object. Records are shaped like the
 * real ones (Ubuntu records with version lists and binaries, Debian and Alpine ranges, CVSS),
 * deterministic, and written with back-pressure so the generator itself stays small.
 */

export interface GeneratedFeed {
  file: string;
  bytes: number;
  /** OSV records, or (package, CVE) entries of the tracker. */
  entries: number;
  /** Advisories an importer should produce from it. */
  advisories: number;
}

const MiB = 1024 * 1024;

async function write(out: WriteStream, text: string): Promise<void> {
  if (!out.write(text)) await once(out, 'drain');
}

async function close(out: WriteStream): Promise<void> {
  out.end();
  await once(out, 'finish');
}

const UBUNTU = ['Ubuntu:20.04:LTS', 'Ubuntu:22.04:LTS', 'Ubuntu:24.04:LTS', 'Ubuntu:Pro:18.04:LTS'];

function osvRecord(n: number): { json: string; advisories: number } {
  const id = `CVE-2024-${String(10000 + n)}`;
  const kind = n % 3;
  const affected: unknown[] = [];
  if (kind === 0) {
    for (const ecosystem of UBUNTU) {
      const versions = Array.from({ length: 12 }, (_, i) => `2.${n % 40}-0ubuntu${i}.${n % 7}`);
      affected.push({
        package: { ecosystem, name: `src${n % 5000}`, purl: `pkg:deb/ubuntu/src${n % 5000}?arch=source` },
        ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: `2.${n % 40}-0ubuntu12.1` }] }],
        versions,
        ecosystem_specific: { binaries: versions.slice(0, 6).map((v, i) => ({ binary_name: `lib${n % 5000}-${i}`, binary_version: v })) },
      });
    }
  } else if (kind === 1) {
    for (const release of [11, 12, 13]) {
      affected.push({
        package: { ecosystem: `Debian:${release}`, name: `src${n % 5000}` },
        ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: `1.${n % 90}-${release}+deb${release}u1` }] }],
      });
    }
  } else {
    for (const branch of ['v3.18', 'v3.19', 'v3.20']) {
      affected.push({
        package: { ecosystem: `Alpine:${branch}`, name: `origin${n % 3000}` },
        ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: `1.${n % 50}.${n % 9}-r${n % 4}` }] }],
      });
    }
    affected.push({ package: { ecosystem: 'PyPI', name: `py${n}` }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '1.0' }] }] });
  }
  const record = {
    schema_version: '1.6.0',
    id: kind === 0 ? `UBUNTU-${id}` : id,
    modified: '2025-01-01T00:00:00Z',
    published: '2024-06-01T00:00:00Z',
    upstream: [id],
    summary: `synthetic advisory ${n}`,
    details: `A synthetic record used to measure streaming import. `.repeat(6),
    severity: [
      { type: 'CVSS_V3', score: n % 2 ? 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H' : 'CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:N/A:N' },
      ...(kind === 0 ? [{ type: 'Ubuntu', score: 'medium' }] : []),
    ],
    affected,
    references: [{ type: 'REPORT', url: `https://www.cve.org/CVERecord?id=${id}` }],
  };
  const advisories = kind === 0 ? 4 : 3;
  return { json: JSON.stringify(record, null, 1), advisories };
}

/** A JSON array of OSV records of at least `targetBytes` bytes. */
export async function generateOsvFeed(file: string, targetBytes = 100 * MiB): Promise<GeneratedFeed> {
  const out = createWriteStream(file);
  let bytes = 0;
  let entries = 0;
  let advisories = 0;
  await write(out, '[\n');
  bytes += 2;
  while (bytes < targetBytes) {
    const { json, advisories: count } = osvRecord(entries);
    const text = (entries ? ',\n' : '') + json;
    await write(out, text);
    bytes += Buffer.byteLength(text);
    entries += 1;
    advisories += count;
  }
  await write(out, '\n]\n');
  bytes += 3;
  await close(out);
  return { file, bytes, entries, advisories };
}

const SUITES = ['bullseye', 'bookworm', 'trixie', 'sid'];

function trackerCve(n: number): string {
  const releases: Record<string, unknown> = {};
  for (const suite of SUITES) {
    releases[suite] =
      n % 4 === 0
        ? { status: 'open', repositories: { [suite]: `1.${n % 30}-1` }, urgency: 'unimportant' }
        : { status: 'resolved', repositories: { [suite]: `1.${n % 30}-2` }, fixed_version: `1.${n % 30}-2`, urgency: 'medium' };
  }
  return JSON.stringify({
    scope: 'remote',
    debianbug: 900000 + n,
    description: `Synthetic tracker entry ${n} used to measure streaming import of one large JSON object.`,
    releases,
  });
}

/** One Debian tracker JSON object of at least `targetBytes` bytes, 20 CVEs per package. */
export async function generateDebianTrackerFeed(file: string, targetBytes = 100 * MiB): Promise<GeneratedFeed> {
  const out = createWriteStream(file);
  let bytes = 0;
  let entries = 0;
  await write(out, '{');
  bytes += 1;
  for (let pkg = 0; bytes < targetBytes; pkg++) {
    const cves: string[] = [];
    for (let i = 0; i < 20; i++, entries++) cves.push(`"CVE-2024-${String(100000 + entries)}": ${trackerCve(entries)}`);
    const text = `${pkg ? ',' : ''}\n"package${pkg}": {${cves.join(', ')}}`;
    await write(out, text);
    bytes += Buffer.byteLength(text);
  }
  await write(out, '\n}\n');
  bytes += 3;
  await close(out);
  // sid has no release number: three advisories per CVE.
  return { file, bytes, entries, advisories: entries * (SUITES.length - 1) };
}
