import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { FeedError } from '../../src/errors';
import type { Advisory } from '../../src/vuln/advisory';
import { HEAD_BYTES, describeHead, detectFeed, pickFeedFormat } from '../../src/vuln/feeds/detect';
import { feedFormats } from '../../src/vuln/feeds/index';
import { decompressedName, openFeedFile } from '../../src/vuln/feeds/open-feed-file';
import { peekStream } from '../../src/vuln/feeds/peek-stream';

const FEEDS = path.join(__dirname, '../fixtures/feeds');
const read = (name: string): Buffer => readFileSync(path.join(FEEDS, name));

/** Imports a path the way `feeds import` does: open, detect, parse every member. */
async function importPath(target: string): Promise<{ files: string[]; formats: string[]; advisories: Advisory[] }> {
  const files: string[] = [];
  const formats: string[] = [];
  const advisories: Advisory[] = [];
  for await (const member of openFeedFile(target)) {
    const { format, stream } = await detectFeed(member, feedFormats);
    files.push(path.relative(FEEDS, member.file));
    formats.push(format.name);
    for await (const a of format.parse(stream, { file: member.file, feed: 'import-test' })) advisories.push(a);
  }
  return { files, formats, advisories };
}

function thrown(fn: () => unknown): FeedError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(FeedError);
    return e as FeedError;
  }
  throw new Error('expected a FeedError');
}

async function rejected(promise: Promise<unknown>): Promise<FeedError> {
  try {
    await promise;
  } catch (e) {
    expect(e).toBeInstanceOf(FeedError);
    return e as FeedError;
  }
  throw new Error('expected a FeedError');
}

describe('format detection on the real samples', () => {
  test.each([
    ['osv/ubuntu/UBUNTU-CVE-2016-20013.json', 'osv'],
    ['osv/ubuntu/UBUNTU-CVE-2020-36325.json', 'osv'],
    ['osv/ubuntu/UBUNTU-CVE-2022-24823.esm.json', 'osv'],
    ['osv/debian/DSA-3029-1.json', 'osv'],
    ['osv/alpine/CVE-2012-2812.json', 'osv'],
    ['alpine-secdb/v3.10-main.yaml', 'alpine-secdb'],
    ['alpine-secdb/v3.15-main.sample.yaml', 'alpine-secdb'],
    ['alpine-secdb/v3.10-community.sample.json', 'alpine-secdb'],
    ['alpine-secdb/v3.15-main.truncated.json', 'alpine-secdb'],
    ['debian-tracker/tracker-slice.vunnel.json', 'debian-tracker'],
  ])('%s → %s', (file, name) => {
    expect(pickFeedFormat(read(file).subarray(0, HEAD_BYTES), file, feedFormats).name).toBe(name);
  });

  test('a JSON array of OSV records is OSV', () => {
    const array = Buffer.from(`[\n${read('osv/debian/DSA-3029-1.json').toString()}]`);
    expect(pickFeedFormat(array, 'all.json', feedFormats).name).toBe('osv');
  });

  test('Ubuntu OpenVEX is not taken for any format: the error names the file and what it looks like', () => {
    const e = thrown(() => pickFeedFormat(read('ubuntu-vex/CVE-2016-20013.openvex.json').subarray(0, HEAD_BYTES), 'vex/CVE-2016-20013.json', feedFormats));
    expect(e.context.file).toBe('vex/CVE-2016-20013.json');
    expect(e.message).toContain('unknown feed format (a JSON object starting "{ \\"@context\\": \\"https://openvex.dev/ns/v0.2.0\\"');
    expect(e.message).toContain('known formats: debian-tracker, alpine-secdb, redhat-oval, redhat-csaf, osv');
  });

  test('other unknown inputs are described by their first bytes', () => {
    const oval = Buffer.from('<?xml version="1.0"?>\n<!-- c -->\n<oval_definitions xmlns="http://oval.mitre.org/XMLSchema/oval-definitions-5"></oval_definitions>');
    expect(describeHead(oval)).toBe('XML with root element <oval_definitions>');
    expect(describeHead(gzipSync(read('osv/debian/DSA-3029-1.json')))).toContain('gzip-compressed data');
    expect(describeHead(Buffer.from('BZh91AY&SY'))).toContain('bzip2-compressed data');
    expect(describeHead(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00, 0x00]))).toContain('xz-compressed data');
    expect(describeHead(Buffer.from('PK\x03\x04rest'))).toContain('zip archive');
    expect(describeHead(Buffer.from([0x00, 0x01, 0x02, 0xff]))).toBe('binary data starting 00 01 02 ff');
    expect(describeHead(Buffer.alloc(0))).toBe('the file is empty');
    expect(describeHead(Buffer.from('[1, 2, 3]'))).toBe('a JSON array starting "[1, 2, 3]"');
    expect(describeHead(Buffer.from('hello: world\n'))).toBe('text starting "hello: world "');
    expect(thrown(() => pickFeedFormat(Buffer.from('{"document": {"csaf_version": "2.0"}}'), 'x.json', feedFormats)).message).toContain('unknown feed format');
  });

  test('compression suffixes are left out of the name the formats see', () => {
    expect(['a.json.gz', 'b.yaml.bz2', 'c.xml.xz', 'd.json'].map(decompressedName)).toEqual(['a.json', 'b.yaml', 'c.xml', 'd.json']);
  });
});

describe('opening feed paths', () => {
  test('a folder is walked in sorted order, zip members one by one, and every record imported', async () => {
    const { files, formats, advisories } = await importPath(path.join(FEEDS, 'osv'));
    expect(files).toEqual([
      'osv/alpine/CVE-2012-2812.json',
      'osv/archive/records.zip!ubuntu/UBUNTU-CVE-2016-20013.json',
      'osv/archive/records.zip!debian/DSA-3029-1.json',
      'osv/archive/records.zip!alpine/CVE-2012-2812.json',
      'osv/debian/DSA-3029-1.json',
      'osv/ubuntu/UBUNTU-CVE-2016-20013.json',
      'osv/ubuntu/UBUNTU-CVE-2020-36325.json',
      'osv/ubuntu/UBUNTU-CVE-2022-24823.esm.json',
    ]);
    expect(new Set(formats)).toEqual(new Set(['osv']));
    // 5 Alpine + (30 + 1 + 5 in the zip) + 1 DSA + 30 Ubuntu + 0 withdrawn + 8 ESM.
    expect(advisories).toHaveLength(80);
  });

  test('xz, gzip and bzip2 files are decompressed while read and detected by their content', async () => {
    const xz = await importPath(path.join(FEEDS, 'alpine-secdb/v3.10-main.yaml.xz'));
    expect(xz.formats).toEqual(['alpine-secdb']);
    expect(xz.advisories).toHaveLength(1159);
    const gz = await importPath(path.join(FEEDS, 'alpine-secdb/v3.15-main.truncated.json.gz'));
    expect(gz.formats).toEqual(['alpine-secdb']);
    expect(gz.advisories).toHaveLength(7);
    const bz2 = await importPath(path.join(FEEDS, 'debian-tracker/tracker-slice.vunnel.json.bz2'));
    expect(bz2.formats).toEqual(['debian-tracker']);
    expect(bz2.advisories).toHaveLength(19);
  });

  describe('with scratch files', () => {
    let dir: string;
    beforeAll(() => {
      dir = mkdtempSync(path.join(tmpdir(), 'imagewarden-feeds-'));
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    test('corrupt gzip is a FeedError naming the file', async () => {
      const file = path.join(dir, 'broken.json.gz');
      const good = gzipSync(read('osv/debian/DSA-3029-1.json'));
      writeFileSync(file, Buffer.concat([good.subarray(0, 20), Buffer.from('garbage that is not deflate')]));
      const e = await rejected(importPath(file));
      expect(e.context.file).toBe(file);
      expect(e.message).toMatch(/^cannot read gzip data: /);
    });

    test('a file that is not a zip but named .zip, a missing path', async () => {
      const fake = path.join(dir, 'fake.zip');
      writeFileSync(fake, 'not a zip');
      expect((await rejected(importPath(fake))).message).toMatch(/^cannot read zip archive: /);
      const missing = path.join(dir, 'nope');
      const e = await rejected(importPath(missing));
      expect(e.context.file).toBe(missing);
      expect(e.message).toMatch(/^cannot open feed: /);
    });

    test('in a folder, dot-files and files not named like feeds are left out', async () => {
      const folder = path.join(dir, 'folder');
      mkdirSync(folder);
      writeFileSync(path.join(folder, '.DS_Store'), Buffer.from([0, 1, 2]));
      writeFileSync(path.join(folder, 'LICENSE'), 'licence text');
      writeFileSync(path.join(folder, 'b.json'), read('osv/debian/DSA-3029-1.json'));
      writeFileSync(path.join(folder, 'a.yaml'), read('alpine-secdb/v3.15-main.sample.yaml'));
      const { files, formats } = await importPath(folder);
      expect(files.map((f) => path.basename(f))).toEqual(['a.yaml', 'b.json']);
      expect(formats).toEqual(['alpine-secdb', 'osv']);
    });

    test('a folder without any feed file is an error, not an empty import', async () => {
      const folder = path.join(dir, 'docs-only');
      mkdirSync(folder);
      writeFileSync(path.join(folder, 'README.md'), '# nothing here');
      const e = await rejected(importPath(folder));
      expect(e.context.file).toBe(folder);
      expect(e.message).toContain('no feed files');
    });

    test('a file named explicitly is opened whatever its name, and an unknown one is reported', async () => {
      const file = path.join(dir, 'notes.txt');
      writeFileSync(file, 'plain notes');
      const e = await rejected(importPath(file));
      expect(e.context.file).toBe(file);
      expect(e.message).toContain('unknown feed format (text starting "plain notes")');
    });
  });

  test('--format forces a format; an unknown name is refused', async () => {
    const member = { file: 'x.json', stream: Readable.from([read('osv/debian/DSA-3029-1.json')]) };
    expect((await detectFeed(member, feedFormats, 'osv')).format.name).toBe('osv');
    const other = { file: 'y.json', stream: Readable.from([Buffer.from('{}')]) };
    expect((await rejected(detectFeed(other, feedFormats, 'nvd'))).message).toContain('unknown feed format "nvd"');
  });

  test('peeking keeps every byte for the parser', async () => {
    const chunks = Array.from({ length: 50 }, (_, i) => Buffer.from(`chunk ${i};`));
    const { head, stream } = await peekStream(Readable.from(chunks), 20);
    expect(head.toString()).toBe('chunk 0;chunk 1;chunk 2;');
    const all: Buffer[] = [];
    for await (const c of stream) all.push(c as Buffer);
    expect(Buffer.concat(all).toString()).toBe(chunks.map(String).join(''));
  });
});

describe('Ubuntu OpenVEX against Ubuntu OSV (why VEX has no importer)', () => {
  test('the VEX "affected" glibc on jammy is covered by the OSV record for ubuntu:22.04', async () => {
    const vex = JSON.parse(read('ubuntu-vex/CVE-2016-20013.openvex.json').toString()) as {
      statements: Array<{ status: string; products: Array<{ '@id': string }> }>;
    };
    const affected = vex.statements.find((s) => s.status === 'affected')!;
    const glibcJammy = affected.products.map((p) => p['@id']).filter((id) => id.startsWith('pkg:deb/ubuntu/glibc@') && id.endsWith('arch=source&distro=jammy'));
    expect(glibcJammy).toEqual(['pkg:deb/ubuntu/glibc@2.35-0ubuntu3.13?arch=source&distro=jammy']);
    const { advisories } = await importPath(path.join(FEEDS, 'osv/ubuntu/UBUNTU-CVE-2016-20013.json'));
    const osv = advisories.find((a) => a.package === 'glibc' && a.namespace === 'ubuntu:22.04')!;
    expect(osv.state).toBe('unfixed');
    expect(osv.versions).toContain('2.35-0ubuntu3.13');
  });
});
