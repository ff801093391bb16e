import { readFileSync } from 'node:fs';
import path from 'node:path';
import { FeedError } from '../../src/errors';
import type { Advisory } from '../../src/vuln/advisory';
import { alpineSecdbFormat, idsOf } from '../../src/vuln/feeds/alpine-secdb';
import { alpineNamespace } from '../../src/vuln/feeds/namespaces';
import { feedError, parseFeed } from './feed-test-helpers';

const FIXTURES = path.join(__dirname, '../fixtures/feeds/alpine-secdb');
const fixture = (name: string): string => readFileSync(path.join(FIXTURES, name), 'utf8');

const parse = (content: string, file = 'secdb.yaml'): Promise<Advisory[]> => parseFeed(alpineSecdbFormat, content, { file, feed: 'alpine-test' });

const parseError = (content: string, file = 'bad.yaml'): Promise<FeedError> => feedError(() => parse(content, file), file);

const find = (advisories: Advisory[], pkg: string, id: string): Advisory | undefined =>
  advisories.find((a) => a.package === pkg && a.id === id);

describe('Alpine secdb YAML (v3.10 main, complete)', () => {
  let advisories: Advisory[];
  beforeAll(async () => {
    advisories = await parse(fixture('v3.10-main.yaml'), 'v3.10-main.yaml');
  });

  test('every (id, package) pair once, all in alpine:3.10, apk, severity Unknown', () => {
    // 1159 distinct pairs, counted line by line from the file independently of the YAML parser.
    expect(advisories).toHaveLength(1159);
    expect(new Set(advisories.map((a) => `${a.package} ${a.id}`)).size).toBe(1159);
    expect(advisories.every((a) => a.namespace === 'alpine:3.10' && a.ecosystem === 'apk' && a.severity === 'Unknown')).toBe(true);
    expect(advisories.every((a) => a.feed === 'alpine-test' && a.state === 'fixed' && a.fixedVersion)).toBe(true);
  });

  test('busybox: CVE-2019-5747 is listed under 1.30.1-r2 and 1.29.3-r10; the later fix holds', () => {
    expect(find(advisories, 'busybox', 'CVE-2019-5747')).toMatchObject({ state: 'fixed', fixedVersion: '1.30.1-r2' });
    expect(find(advisories, 'busybox', 'CVE-2018-20679')).toMatchObject({ fixedVersion: '1.29.3-r10' });
    expect(find(advisories, 'busybox', 'CVE-2017-16544')).toMatchObject({ fixedVersion: '1.27.2-r4' });
    expect(advisories.filter((a) => a.package === 'busybox')).toHaveLength(5);
  });

  test('the packages of the Alpine 3.10 image: musl and openssl fixes', () => {
    expect(find(advisories, 'musl', 'CVE-2019-14697')).toMatchObject({ fixedVersion: '1.1.22-r3' });
    expect(find(advisories, 'openssl', 'CVE-2019-1547')).toMatchObject({ fixedVersion: '1.1.1d-r0' });
  });

  test('extra ids beside the CVE become aliases', () => {
    expect(find(advisories, 'sdl2_image', 'CVE-2019-5060')).toMatchObject({ aliases: ['TALOS-2019-0844'] });
  });
});

describe('Alpine secdb JSON and small YAML samples', () => {
  test('v3.10 community JSON sample: 9 advisories', async () => {
    const advisories = await parse(fixture('v3.10-community.sample.json'), 'community.json');
    expect(advisories.map((a) => `${a.package} ${a.id} ${a.fixedVersion}`)).toEqual([
      'botan CVE-2018-20187 2.9.0-r0',
      'botan CVE-2018-12435 2.7.0-r0',
      'botan CVE-2018-9860 2.6.0-r0',
      'botan CVE-2018-9127 2.5.0-r0',
      'cfengine CVE-2019-9929 3.12.2-r0',
      'chicken CVE-2017-6949 4.12.0-r3',
      'chicken CVE-2017-9334 4.12.0-r2',
      'chicken CVE-2016-6830 4.11.1-r0',
      'chicken CVE-2016-6831 4.11.1-r0',
    ]);
    expect(advisories.every((a) => a.namespace === 'alpine:3.10')).toBe(true);
  });

  test('v3.15 JSON: version 0 means not affected', async () => {
    const advisories = await parse(fixture('v3.15-main.truncated.json'), 'v3.15.json');
    expect(advisories).toHaveLength(7);
    for (const id of ['CVE-2021-42373', 'CVE-2021-42376', 'CVE-2021-42377']) {
      const a = find(advisories, 'busybox', id);
      expect(a).toMatchObject({ namespace: 'alpine:3.15', state: 'not-affected' });
      expect(a!.fixedVersion).toBeUndefined();
    }
    expect(find(advisories, 'bash', 'CVE-2016-0634')).toMatchObject({ state: 'fixed', fixedVersion: '4.4.12-r1' });
  });

  test('v3.15 YAML sample: version keys stay strings', async () => {
    const advisories = await parse(fixture('v3.15-main.sample.yaml'), 'v3.15.yaml');
    expect(advisories).toHaveLength(13);
    expect(find(advisories, 'zlib', 'CVE-2018-25032')).toMatchObject({ fixedVersion: '1.2.12-r0' });
    expect(find(advisories, 'zsh', 'CVE-2019-20044')).toMatchObject({ fixedVersion: '5.8-r0' });
  });

  test('a numeric-looking version such as 1.10 is not read as the number 1.1', async () => {
    const yaml = 'distroversion: v3.18\nreponame: main\npackages:\n  - pkg:\n      name: x\n      secfixes:\n        1.10:\n          - CVE-2023-0001\n        0:\n          - CVE-2023-0002\n';
    const advisories = await parse(yaml);
    expect(advisories.map((a) => [a.id, a.state, a.fixedVersion]).sort()).toEqual([
      ['CVE-2023-0001', 'fixed', '1.10'],
      ['CVE-2023-0002', 'not-affected', undefined],
    ]);
    expect(advisories.every((a) => a.namespace === 'alpine:3.18')).toBe(true);
  });

  test('JSON whose packages come before distroversion waits for it', async () => {
    const json = JSON.stringify({ packages: [{ pkg: { name: 'curl', secfixes: { '8.4.0-r0': ['CVE-2023-38545'] } } }], distroversion: 'v3.18' });
    expect(await parse(json, 'late.json')).toEqual([expect.objectContaining({ namespace: 'alpine:3.18', package: 'curl', fixedVersion: '8.4.0-r0' })]);
  });

  test('a fix beats an earlier "not affected" for the same id', async () => {
    const json = JSON.stringify({ distroversion: 'v3.18', packages: [{ pkg: { name: 'p', secfixes: { '0': ['CVE-2023-1'], '1.2-r1': ['CVE-2023-1'] } } }] });
    expect(await parse(json, 'both.json')).toEqual([expect.objectContaining({ state: 'fixed', fixedVersion: '1.2-r1' })]);
  });
});

describe('secfixes ids and branches', () => {
  test.each([
    ['CVE-2019-5747', ['CVE-2019-5747']],
    ['CVE-2019-5060 TALOS-2019-0844', ['CVE-2019-5060', 'TALOS-2019-0844']],
    ['CVE-2019-15167 (VRRP)', ['CVE-2019-15167']],
    ['CVE-????-?????  XSA-295', ['XSA-295']],
    ['CVE_2019-2426', ['CVE-2019-2426']],
    ['GHSA-jfh8-c2jp-5v3q', ['GHSA-jfh8-c2jp-5v3q']],
    ['(no id here)', []],
  ])('%s → %j', (item, ids) => {
    expect(idsOf(item)).toEqual(ids);
  });

  test('branches', () => {
    expect(['v3.10', '3.18', '3.18.9', 'edge'].map(alpineNamespace)).toEqual(['alpine:3.10', 'alpine:3.18', 'alpine:3.18', undefined]);
  });
});

describe('Alpine secdb malformed input', () => {
  test('YAML truncated after a version key: the version lists nothing, reported with its line', async () => {
    const lines = fixture('v3.10-main.yaml').split('\n');
    const cut = lines.slice(0, 145).join('\n') + '\n';
    expect(cut.endsWith('        1.30.1-r2:\n')).toBe(true);
    const e = await parseError(cut, 'cut.yaml');
    expect(e.message).toMatch(/\$\.packages\[\d+\]\.pkg\.secfixes\["1\.30\.1-r2"\] \(line 145\)/);
  });

  test('YAML syntax errors give line and column', async () => {
    const e = await parseError('distroversion: v3.10\npackages:\n  - pkg:\n      name: [unclosed\n');
    expect(e.message).toMatch(/malformed YAML at line \d+, column \d+/);
  });

  test('truncated JSON', async () => {
    const json = fixture('v3.15-main.truncated.json');
    const e = await parseError(json.slice(0, 700), 'cut.json');
    expect(e.message).toMatch(/malformed JSON at the end \(byte 700\), after \$\.packages\[1\]/);
  });

  test('wrong shapes and missing fields', async () => {
    expect((await parseError('reponame: main\npackages: []\n')).message).toContain('$.distroversion (line');
    expect((await parseError('distroversion: edge\npackages: []\n')).message).toContain('"edge"');
    expect((await parseError(JSON.stringify({ distroversion: 'v3.18', packages: [{ pkg: { secfixes: {} } }] }), 'p.json')).message).toContain(
      '$.packages[0].pkg.name: is missing',
    );
    expect((await parseError(JSON.stringify({ packages: [] }), 'nodv.json')).message).toContain('no distroversion');
    expect((await parseError('[1, 2]', 'arr.json')).message).toMatch(/object/);
    const keyed = JSON.stringify({ distroversion: 'v3.18', packages: { curl: { pkg: { name: 'curl' } } } });
    expect((await parseError(keyed, 'keyed.json')).message).toContain('secdb packages must be an array of {pkg} objects, found "curl" at $.packages.curl.pkg.name');
  });

  test('an item without any advisory id is an error naming it', async () => {
    const yaml = 'distroversion: v3.18\npackages:\n  - pkg:\n      name: x\n      secfixes:\n        1.0-r1:\n          - CVE-2023-1\n          - (see upstream)\n';
    const e = await parseError(yaml);
    expect(e.message).toContain('"(see upstream)"');
    expect(e.message).toContain('(line 8)');
  });
});
