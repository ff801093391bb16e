import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { FeedError } from '../../src/errors';
import type { Advisory } from '../../src/vuln/advisory';
import { SkipTally, osvNamespace } from '../../src/vuln/feeds/namespaces';
import { osvFormat, rangesOf } from '../../src/vuln/feeds/osv';
import { cvssV3BaseScore, debianUrgencySeverity, redHatSeverity, severityOfScore, ubuntuPrioritySeverity } from '../../src/vuln/feeds/severity';
import { feedError, parseFeed } from './feed-test-helpers';

const FIXTURES = path.join(__dirname, '../fixtures/feeds/osv');
const fixture = (name: string): Buffer => readFileSync(path.join(FIXTURES, name));

const parse = (content: Buffer | string, file = 'test.json', skipped?: SkipTally): Promise<Advisory[]> =>
  parseFeed(osvFormat, content, { file, feed: 'osv-test', skipped });

const parseError = (content: string, file = 'bad.json'): Promise<FeedError> => feedError(() => parse(content, file));

function record(extra: Record<string, unknown>): Record<string, unknown> {
  return { id: 'TEST-1', modified: '2024-01-01T00:00:00Z', ...extra };
}

describe('OSV importer on the real samples', () => {
  test('UBUNTU-CVE-2016-20013: one advisory per affected entry, glibc on 22.04 unfixed with its versions', async () => {
    const advisories = await parse(fixture('ubuntu/UBUNTU-CVE-2016-20013.json'));
    expect(advisories).toHaveLength(30);
    const glibc = advisories.filter((a) => a.package === 'glibc' && a.namespace === 'ubuntu:22.04');
    expect(glibc).toHaveLength(1);
    const [a] = glibc;
    expect(a).toMatchObject({
      id: 'UBUNTU-CVE-2016-20013',
      aliases: ['CVE-2016-20013'],
      ecosystem: 'dpkg',
      state: 'unfixed',
      ranges: [{}],
      severity: 'Low',
      vendorSeverity: 'priority negligible',
      cvss: [{ version: '3.1', score: 7.5 }],
      feed: 'osv-test',
      published: '2022-02-19T05:15:00Z',
    });
    expect(a!.fixedVersion).toBeUndefined();
    // The Ubuntu 22.04 status fixture has libc6 2.35-0ubuntu3.1 (source glibc): listed as affected.
    expect(a!.versions).toHaveLength(15);
    expect(a!.versions).toContain('2.35-0ubuntu3.1');
    expect(a!.references).toContain('https://ubuntu.com/security/CVE-2016-20013');
  });

  test('Ubuntu Pro entries share the release namespace and say Ubuntu Pro in the vendor label', async () => {
    const advisories = await parse(fixture('ubuntu/UBUNTU-CVE-2016-20013.json'));
    const pro = advisories.filter((a) => a.vendorSeverity?.endsWith('(Ubuntu Pro)'));
    expect(pro).toHaveLength(8);
    const eglibc = advisories.find((a) => a.package === 'eglibc');
    expect(eglibc).toMatchObject({ namespace: 'ubuntu:14.04', vendorSeverity: 'priority negligible (Ubuntu Pro)', state: 'unfixed' });
  });

  test('the ESM sample: Pro fixes with epochs, CVSS computed once per distinct vector, priority low', async () => {
    const advisories = await parse(fixture('ubuntu/UBUNTU-CVE-2022-24823.esm.json'));
    expect(advisories.map((a) => a.namespace)).toEqual([
      'ubuntu:14.04',
      'ubuntu:16.04',
      'ubuntu:18.04',
      'ubuntu:20.04',
      'ubuntu:22.04',
      'ubuntu:24.04',
      'ubuntu:25.10',
      'ubuntu:26.04',
    ]);
    const xenial = advisories[1]!;
    expect(xenial).toMatchObject({
      package: 'netty',
      state: 'fixed',
      fixedVersion: '1:4.0.34-1ubuntu0.1~esm2',
      ranges: [{ fixed: '1:4.0.34-1ubuntu0.1~esm2' }],
      severity: 'Low',
      vendorSeverity: 'priority low (Ubuntu Pro)',
      cvss: [{ version: '3.1', vector: 'CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:N/A:N', score: 5.5 }],
      aliases: ['CVE-2022-24823'],
    });
    expect(advisories[0]).toMatchObject({ state: 'unfixed', vendorSeverity: 'priority low (Ubuntu Pro)' });
    expect(advisories[6]).toMatchObject({ namespace: 'ubuntu:25.10', state: 'unfixed', vendorSeverity: 'priority low' });
    expect(advisories.filter((a) => a.state === 'fixed')).toHaveLength(5);
  });

  test('a withdrawn record imports nothing and is counted', async () => {
    const skipped = new SkipTally();
    expect(await parse(fixture('ubuntu/UBUNTU-CVE-2020-36325.json'), 'w.json', skipped)).toEqual([]);
    expect(skipped.entries()).toEqual([['withdrawn OSV record', 1]]);
  });

  test('DSA-3029-1: Debian:7 nginx fixed in 1.2.1-2.2+wheezy3', async () => {
    const advisories = await parse(fixture('debian/DSA-3029-1.json'));
    expect(advisories).toEqual([
      expect.objectContaining({
        id: 'DSA-3029-1',
        aliases: ['CVE-2014-3616'],
        namespace: 'debian:7',
        ecosystem: 'dpkg',
        package: 'nginx',
        state: 'fixed',
        fixedVersion: '1.2.1-2.2+wheezy3',
        ranges: [{ fixed: '1.2.1-2.2+wheezy3' }],
        severity: 'Unknown',
        title: 'nginx - security update',
        references: ['https://www.debian.org/security/2014/dsa-3029'],
      }),
    ]);
    expect(advisories[0]!.description).toContain('virtual host confusion');
  });

  test('Alpine CVE-2012-2812: five branches, versions null accepted', async () => {
    const advisories = await parse(fixture('alpine/CVE-2012-2812.json'));
    expect(advisories.map((a) => `${a.namespace} ${a.package} ${a.state} ${a.fixedVersion}`)).toEqual([
      'alpine:3.10 libexif fixed 0.6.21-r0',
      'alpine:3.11 libexif fixed 0.6.21-r0',
      'alpine:3.12 libexif fixed 0.6.21-r0',
      'alpine:3.8 libexif fixed 0.6.21-r0',
      'alpine:3.9 libexif fixed 0.6.21-r0',
    ]);
    expect(advisories.every((a) => a.ecosystem === 'apk' && a.versions === undefined)).toBe(true);
  });

  test('a JSON array of every sample gives the same advisories as the files one by one', async () => {
    const files = ['alpine/CVE-2012-2812.json', 'debian/DSA-3029-1.json', ...readdirSync(path.join(FIXTURES, 'ubuntu')).map((f) => `ubuntu/${f}`)];
    const oneByOne: Advisory[] = [];
    for (const f of files) oneByOne.push(...(await parse(fixture(f))));
    const array = `[${files.map((f) => fixture(f).toString('utf8')).join(',\n')}]`;
    const together = await parse(array);
    expect(together).toHaveLength(5 + 1 + 30 + 8);
    expect(together).toEqual(oneByOne);
  });

  test('a record split across many small chunks parses the same', async () => {
    const whole = fixture('ubuntu/UBUNTU-CVE-2022-24823.esm.json');
    const chunks: Buffer[] = [];
    for (let i = 0; i < whole.length; i += 7) chunks.push(whole.subarray(i, i + 7));
    const out: Advisory[] = [];
    for await (const a of osvFormat.parse(Readable.from(chunks), { file: 'c.json', feed: 'osv-test' })) out.push(a);
    expect(out).toEqual(await parse(whole));
  });
});

describe('OSV mapping rules', () => {
  test('language ecosystems are skipped and counted, distro entries kept', async () => {
    const skipped = new SkipTally();
    const content = JSON.stringify(
      record({
        affected: [
          { package: { ecosystem: 'PyPI', name: 'jinja2' }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '2.11.3' }] }] },
          { package: { ecosystem: 'npm', name: 'lodash' }, versions: ['4.17.20'] },
          { package: { ecosystem: 'Debian:12', name: 'jinja2' }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '3.1.2-1+deb12u1' }] }] },
          { package: { ecosystem: 'Ubuntu:Pro:FIPS-updates:22.04:LTS', name: 'openssl' }, versions: ['3.0.2-0ubuntu1.10'] },
        ],
      }),
    );
    const advisories = await parse(content, 'mixed.json', skipped);
    expect(advisories.map((a) => `${a.namespace} ${a.package} ${a.fixedVersion}`)).toEqual(['debian:12 jinja2 3.1.2-1+deb12u1']);
    expect(skipped.total).toBe(3);
    expect(skipped.entries()).toContainEqual(['ecosystem PyPI is not a distribution imagewarden matches', 1]);
    expect(skipped.entries()).toContainEqual(['ecosystem npm is not a distribution imagewarden matches', 1]);
    expect(skipped.entries()).toContainEqual(['Ubuntu stream Pro:FIPS-updates is not identifiable from os-release', 1]);
  });

  test('unsorted events are put in version order before ranges are formed', () => {
    const ranges = rangesOf([{ fixed: '1.2-1' }, { introduced: '1.5-1' }, { introduced: '0' }, { fixed: '1.10-1' }], 'dpkg');
    expect(ranges).toEqual([{ fixed: '1.2-1' }, { introduced: '1.5-1', fixed: '1.10-1' }]);
    expect(rangesOf([{ introduced: '0' }, { last_affected: '2.0-r3' }], 'apk')).toEqual([{ lastAffected: '2.0-r3' }]);
    expect(rangesOf([{ introduced: '1:2.0-1' }, { limit: '*' }], 'rpm')).toEqual([{ introduced: '1:2.0-1' }]);
  });

  test('the highest fixed event is the fixed version; last_affected alone leaves it unfixed', async () => {
    const content = JSON.stringify(
      record({
        affected: [
          {
            package: { ecosystem: 'Debian:11', name: 'curl' },
            ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '7.74.0-1.3+deb11u2' }, { introduced: '7.74.0-1.3+deb11u5' }, { fixed: '7.74.0-1.3+deb11u10' }] }],
          },
          { package: { ecosystem: 'Alpine:v3.18', name: 'curl' }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { last_affected: '8.4.0-r0' }] }] },
          { package: { ecosystem: 'Debian:12', name: 'curl' }, ranges: [{ type: 'GIT', repo: 'https://example.test/curl', events: [{ introduced: 'abc' }] }] },
        ],
      }),
    );
    const skipped = new SkipTally();
    const [debian, alpine, ...rest] = await parse(content, 'r.json', skipped);
    expect(debian).toMatchObject({ state: 'fixed', fixedVersion: '7.74.0-1.3+deb11u10' });
    expect(debian!.ranges).toHaveLength(2);
    expect(alpine).toMatchObject({ state: 'unfixed', ranges: [{ lastAffected: '8.4.0-r0' }] });
    expect(alpine!.fixedVersion).toBeUndefined();
    expect(rest).toEqual([]);
    expect(skipped.entries()).toEqual([['OSV affected entry without ECOSYSTEM ranges or versions', 1]]);
  });

  test('rpm families: namespaces by major release; source-package names flagged bySource', async () => {
    const entry = (ecosystem: string, purl?: string) => ({
      package: { ecosystem, name: 'openssl', ...(purl ? { purl } : {}) },
      ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '1:3.0.7-27.el9' }] }],
    });
    const content = JSON.stringify(
      record({
        affected: [
          entry('Rocky Linux:9'),
          entry('AlmaLinux:8'),
          entry('Red Hat:enterprise_linux:9::appstream', 'pkg:rpm/redhat/openssl?arch=src'),
          entry('Red Hat:enterprise_linux:9::baseos', 'pkg:rpm/redhat/openssl-libs'),
          entry('Red Hat:rhel_eus:9.2::baseos'),
          entry('SUSE:Linux Enterprise Server 15 SP3'),
        ],
      }),
    );
    const advisories = await parse(content);
    expect(advisories.map((a) => [a.namespace, a.ecosystem, a.conditions?.bySource === true])).toEqual([
      ['rocky:9', 'rpm', true],
      ['almalinux:8', 'rpm', true],
      ['rhel:9', 'rpm', true],
      ['rhel:9', 'rpm', false],
      ['sles:15.3', 'rpm', true],
    ]);
  });

  test('severity: CVSS v3 when no vendor label, highest score first; v4 kept unscored', async () => {
    const content = JSON.stringify(
      record({
        severity: [
          { type: 'CVSS_V4', score: 'CVSS:4.0/AV:N/AC:L/AT:N/PR:H/UI:N/VC:L/VI:L/VA:N/SC:N/SI:N/SA:N' },
          { type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:N/I:L/A:N' },
          { type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H' },
        ],
        affected: [{ package: { ecosystem: 'Debian:12', name: 'x' }, versions: ['1.0-1'] }],
      }),
    );
    const [a] = await parse(content);
    expect(a).toMatchObject({ severity: 'Critical', vendorSeverity: 'CVSS:3.1 9.8', state: 'unfixed', versions: ['1.0-1'] });
    expect(a!.cvss).toEqual([
      { version: '4.0', vector: 'CVSS:4.0/AV:N/AC:L/AT:N/PR:H/UI:N/VC:L/VI:L/VA:N/SC:N/SI:N/SA:N' },
      { version: '3.1', vector: 'CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:N/I:L/A:N', score: 4.3 },
      { version: '3.1', vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', score: 9.8 },
    ]);
  });

  test('severity: an Ubuntu priority in ecosystem_specific wins over CVSS; nothing known stays Unknown', async () => {
    const content = JSON.stringify(
      record({
        severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H' }],
        affected: [
          { package: { ecosystem: 'Ubuntu:22.04:LTS', name: 'a' }, versions: ['1'], ecosystem_specific: { priority: 'medium' } },
          { package: { ecosystem: 'Ubuntu:22.04:LTS', name: 'b' }, versions: ['1'], severity: [{ type: 'Ubuntu', score: 'untriaged' }] },
        ],
      }),
    );
    const [a, b] = await parse(content);
    expect(a).toMatchObject({ severity: 'Medium', vendorSeverity: 'priority medium' });
    // Package-level severity replaces the record's: an untriaged priority and no CVSS left.
    expect(b).toMatchObject({ severity: 'Unknown', vendorSeverity: 'priority untriaged' });
  });
});

describe('OSV malformed input', () => {
  test('truncated JSON names the file, the byte range and the JSON path reached', async () => {
    const whole = fixture('debian/DSA-3029-1.json').toString('utf8');
    const e = await parseError(whole.slice(0, 200), 'cut.json');
    expect(e.context.file).toBe('cut.json');
    expect(e.message).toMatch(/malformed JSON at the end \(byte 200\), after \$\.affected\[0\]/);
  });

  test('a record without id, in the second place of an array', async () => {
    const e = await parseError(JSON.stringify([record({}), { modified: 'x', affected: [] }]), 'ids.json');
    expect(e.message).toContain('$[1].id: is missing');
    expect(e.context.file).toBe('ids.json');
  });

  test('wrong shapes say where', async () => {
    expect((await parseError(JSON.stringify(record({ affected: { package: 'x' } })))).message).toContain('$.affected:');
    expect((await parseError(JSON.stringify(record({ affected: [{ package: { ecosystem: 'Debian:12' } }] })))).message).toContain(
      '$.affected[0].package.name: is missing',
    );
    const twoKinds = record({ affected: [{ package: { ecosystem: 'Debian:12', name: 'x' }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0', fixed: '1' }] }] }] });
    expect((await parseError(JSON.stringify(twoKinds))).message).toContain('exactly one of introduced');
    expect((await parseError('"just a string"')).message).toContain('a record or an array of records');
    expect((await parseError('')).message).toContain('empty JSON document');
    expect((await parseError('{"id": "X", "modified": "y"} trailing')).message).toMatch(/malformed JSON in bytes 0–/);
  });

  test('a bad CVSS v3 vector is an error, not a silent Unknown', async () => {
    const bad = record({
      severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H' }],
      affected: [{ package: { ecosystem: 'Debian:12', name: 'x' }, versions: ['1'] }],
    });
    expect((await parseError(JSON.stringify(bad))).message).toMatch(/bad CVSS v3 vector at \$\.affected\[0\]: CVSS base metric A missing/);
  });
});

describe('CVSS v3 base score (specification formula)', () => {
  test.each([
    ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', 9.8],
    ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H', 10.0],
    ['CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:C/C:H/I:H/A:H', 9.9],
    ['CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:H/I:H/A:H', 8.8],
    ['CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H', 7.8],
    ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H', 7.5],
    ['CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:N/A:N', 6.5],
    ['CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N', 6.1],
    ['CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:N/A:N', 5.5],
    ['CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:N/I:L/A:N', 4.3],
    ['CVSS:3.0/AV:N/AC:H/PR:N/UI:R/S:U/C:L/I:N/A:N', 3.1],
    ['CVSS:3.1/AV:P/AC:H/PR:H/UI:R/S:U/C:N/I:N/A:N', 0],
    ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:P/RL:O/RC:C', 9.8],
  ])('%s → %d', (vector, score) => {
    expect(cvssV3BaseScore(vector).score).toBe(score);
  });

  test('malformed vectors are refused', () => {
    expect(() => cvssV3BaseScore('AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H')).toThrow('not a CVSS v3 vector');
    expect(() => cvssV3BaseScore('CVSS:3.1/AV:X/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H')).toThrow('AV:X is not defined');
    expect(() => cvssV3BaseScore('CVSS:3.1/AV:N/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H')).toThrow('given twice');
    expect(() => cvssV3BaseScore('CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/ZZ:1')).toThrow('unknown CVSS metric ZZ');
  });
});

describe('severity mapping', () => {
  test('score bands', () => {
    expect([9.0, 8.9, 7.0, 6.9, 4.0, 3.9, 0.1, 0].map(severityOfScore)).toEqual(['Critical', 'High', 'High', 'Medium', 'Medium', 'Low', 'Low', 'Unknown']);
  });

  test('vendor labels keep their words', () => {
    expect(redHatSeverity('Important')).toEqual({ severity: 'High', vendorSeverity: 'Important' });
    expect(redHatSeverity('moderate').severity).toBe('Medium');
    expect(redHatSeverity('none')).toEqual({ severity: 'Unknown', vendorSeverity: 'none' });
    expect(debianUrgencySeverity('high**')).toEqual({ severity: 'High', vendorSeverity: 'urgency high**' });
    expect(debianUrgencySeverity('unimportant').severity).toBe('Low');
    expect(debianUrgencySeverity('not yet assigned').severity).toBe('Unknown');
    expect(ubuntuPrioritySeverity('critical')).toEqual({ severity: 'Critical', vendorSeverity: 'priority critical' });
    expect(ubuntuPrioritySeverity('negligible').severity).toBe('Low');
  });
});

describe('OSV ecosystem → namespace', () => {
  test.each([
    ['Debian:12', 'debian:12'],
    ['Debian:bookworm', 'debian:12'],
    ['Ubuntu:22.04:LTS', 'ubuntu:22.04'],
    ['Ubuntu:Pro:18.04:LTS', 'ubuntu:18.04'],
    ['Ubuntu:25.10', 'ubuntu:25.10'],
    ['Alpine:v3.18', 'alpine:3.18'],
    ['Red Hat:enterprise_linux:8::appstream', 'rhel:8'],
    ['Rocky Linux:9', 'rocky:9'],
    ['AlmaLinux:9', 'almalinux:9'],
    ['SUSE:Linux Enterprise Module for Basesystem 15 SP3', 'sles:15.3'],
    ['openSUSE:openSUSE Leap 15.5', 'opensuse-leap:15.5'],
  ])('%s → %s', (ecosystem, namespace) => {
    expect(osvNamespace(ecosystem)).toMatchObject({ namespace });
  });

  test.each(['Debian', 'Debian:sid', 'Alpine:edge', 'PyPI', 'Red Hat:rhel_aus:8.4::appstream', 'SUSE:Linux Enterprise Micro 5.5', 'Wolfi'])(
    '%s is skipped with a reason',
    (ecosystem) => {
      expect(osvNamespace(ecosystem)).toEqual({ skip: expect.any(String) });
    },
  );
});
