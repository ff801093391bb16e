import { createReadStream, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough, Readable, pipeline } from 'node:stream';
import bz2 from 'unbzip2-stream';
import { FeedError } from '../../src/errors';
import type { Advisory } from '../../src/vuln/advisory';
import type { FeedContext } from '../../src/vuln/feeds/feed-format';
import { SkipTally } from '../../src/vuln/feeds/namespaces';
import { redHatOvalFormat } from '../../src/vuln/feeds/redhat-oval';

const DIR = join(__dirname, '../fixtures/feeds/redhat-oval');
const V1 = join(DIR, 'com.redhat.rhsa-RHEL8.xml');
const V2_BZ2 = join(DIR, 'rhel-8-ansible-2-including-unpatched.oval.xml.bz2');
const HAND = join(DIR, 'module-stream-and-resolutions.xml');
const OSCAP_TSV = join(__dirname, '../fixtures/openscap/expected-oscap-rhsa-RHEL8-vs-ubi8.tsv');

/** The v2 file decompressed as it is read, as the feed opener does for `.bz2` files. */
function v2Stream(): Readable {
  return pipeline(createReadStream(V2_BZ2), bz2(), new PassThrough(), (error) => {
    if (error) throw error;
  });
}

async function collect(input: Readable, file = 'feed.xml', skipped?: SkipTally): Promise<Advisory[]> {
  const out: Advisory[] = [];
  const context: FeedContext = { file, feed: 'redhat', ...(skipped && { skipped }) };
  for await (const a of redHatOvalFormat.parse(input, context)) out.push(a);
  return out;
}

const fromText = (text: string, chunk = 65536): Readable => {
  const bytes = Buffer.from(text);
  const pieces: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += chunk) pieces.push(bytes.subarray(i, i + chunk));
  return Readable.from(pieces);
};

async function failure(input: Readable, file = 'broken.xml'): Promise<FeedError> {
  try {
    await collect(input, file);
  } catch (e) {
    expect(e).toBeInstanceOf(FeedError);
    expect((e as FeedError).context.file).toBe(file);
    return e as FeedError;
  }
  throw new Error('expected a FeedError');
}

const one = (advisories: Advisory[], id: string, namespace: string, pkg: string): Advisory => {
  const found = advisories.filter((a) => a.id === id && a.namespace === namespace && a.package === pkg);
  expect(found).toHaveLength(1);
  return found[0] as Advisory;
};

describe('Red Hat OVAL v1 (RHSA stream for RHEL 8, 129 patch definitions)', () => {
  let advisories: Advisory[];
  beforeAll(async () => {
    advisories = await collect(createReadStream(V1), 'com.redhat.rhsa-RHEL8.xml');
  });

  test('every definition becomes advisories under its RHSA id: the 129 ids OpenSCAP lists for the file', () => {
    const titles = readFileSync(OSCAP_TSV, 'utf8').trim().split('\n').slice(1).map((l) => l.split('\t')[2] as string);
    const rhsaIds = new Set(titles.map((t) => /^(RHSA-\d{4}:\d{4})/.exec(t)?.[1]));
    expect(rhsaIds.size).toBe(129);
    expect(new Set(advisories.map((a) => a.id))).toEqual(rhsaIds);
    expect(advisories.every((a) => a.ecosystem === 'rpm' && a.feed === 'redhat' && a.state === 'fixed')).toBe(true);
  });

  test('each definition yields exactly the packages and fixed EVRs its "X is earlier than E:V-R" criteria name', () => {
    const xml = readFileSync(V1, 'utf8');
    const expected = new Map<string, Set<string>>();
    for (const block of xml.split('<definition ').slice(1).map((rest) => rest.split('</definition>')[0] as string)) {
      const id = /<title>(RHSA-\d{4}:\d{4})/.exec(block)?.[1] as string;
      const pairs = new Set<string>();
      for (const m of block.matchAll(/comment="(\S+) is earlier than (\d+):(\S+)"/g)) {
        pairs.add(`${m[1]} ${m[2] === '0' ? m[3] : `${m[2]}:${m[3]}`}`);
      }
      expected.set(id, pairs);
    }
    const actual = new Map<string, Set<string>>();
    for (const a of advisories) {
      const set = actual.get(a.id) ?? new Set<string>();
      set.add(`${a.package} ${a.fixedVersion}`);
      actual.set(a.id, set);
    }
    expect(actual).toEqual(expected);
  });

  test('curl (RHSA-2019:3701): fixed EVR without the zero epoch, CVEs, severity, CVSS, signing key and architectures', () => {
    const curl = one(advisories, 'RHSA-2019:3701', 'rhel:8', 'curl');
    expect(curl).toMatchObject({
      fixedVersion: '7.61.1-11.el8',
      aliases: ['CVE-2018-16890', 'CVE-2018-20483', 'CVE-2019-3822', 'CVE-2019-3823'],
      severity: 'Medium',
      vendorSeverity: 'Moderate',
      title: 'RHSA-2019:3701: curl security and bug fix update (Moderate)',
      published: '2019-11-05',
      modified: '2019-11-05',
      // libcurl is multilib and adds i686; curl is not.
      conditions: { signedBy: ['199e2f91fd431d51'], arch: ['aarch64', 'ppc64le', 's390x', 'x86_64'] },
    });
    expect(one(advisories, 'RHSA-2019:3701', 'rhel:8', 'libcurl').conditions?.arch).toContain('i686');
    expect(curl.cvss?.[0]).toEqual({ version: '3.0', score: 5.5, vector: 'CVSS:3.0/AV:L/AC:L/PR:N/UI:R/S:U/C:H/I:N/A:N' });
    expect(curl.references).toContain('https://access.redhat.com/errata/RHSA-2019:3701');
    expect(curl.description).toMatch(/^The curl packages provide the libcurl library/);
    expect(advisories.filter((a) => a.id === 'RHSA-2019:3701').map((a) => a.package).sort()).toEqual([
      'curl',
      'curl-debugsource',
      'libcurl',
      'libcurl-devel',
      'libcurl-minimal',
    ]);
  });

  test('openssl-libs (RHSA-2019:3700) keeps its non-zero epoch', () => {
    expect(one(advisories, 'RHSA-2019:3700', 'rhel:8', 'openssl-libs').fixedVersion).toBe('1:1.1.1c-2.el8');
  });

  test('the kernel definition keeps its "running or next-boot kernel" test as a condition', () => {
    const kernel = one(advisories, 'RHSA-2019:1167', 'rhel:8', 'kernel-core');
    expect(kernel.fixedVersion).toBe('4.18.0-80.1.2.el8_0');
    expect(kernel.conditions).toEqual({
      signedBy: ['199e2f91fd431d51'],
      arch: ['aarch64', 'ppc64le', 's390x', 'x86_64'],
      kernelBefore: '4.18.0-80.1.2.el8_0',
    });
    expect(kernel.severity).toBe('High');
  });

  test('a definition with a RHEL 7 and a RHEL 8 branch gives each package in both namespaces', () => {
    expect(one(advisories, 'RHSA-2019:1619', 'rhel:7', 'vim-minimal').fixedVersion).toBe('2:7.4.160-6.el7_6');
    expect(one(advisories, 'RHSA-2019:1619', 'rhel:8', 'vim-minimal').fixedVersion).toBe('2:8.0.1763-11.el8_0');
    expect(advisories.filter((a) => a.namespace === 'rhel:7')).toHaveLength(5);
  });

  test('Critical firefox (RHSA-2019:0966): highest CVSS first', () => {
    const firefox = one(advisories, 'RHSA-2019:0966', 'rhel:8', 'firefox');
    expect(firefox.severity).toBe('Critical');
    expect(firefox.cvss?.map((c) => c.score)).toEqual([8.8, 7.5, 6.1]);
  });
});

describe('Red Hat OVAL v2 (ansible-2 for RHEL 8, including unpatched)', () => {
  let advisories: Advisory[];
  beforeAll(async () => {
    advisories = await collect(v2Stream(), 'rhel-8-ansible-2-including-unpatched.oval.xml');
  });

  test('the three CVE definitions: ansible and ansible-test are affected with no fix, if signed by Red Hat', () => {
    for (const [cve, severity, vendor] of [
      ['CVE-2020-10744', 'Medium', 'Moderate'],
      ['CVE-2020-1734', 'Medium', 'Moderate'],
      ['CVE-2020-1738', 'Low', 'Low'],
    ] as const) {
      for (const pkg of ['ansible', 'ansible-test']) {
        const a = one(advisories, cve, 'rhel:8', pkg);
        expect(a).toMatchObject({ state: 'unfixed', severity, vendorSeverity: vendor, conditions: { signedBy: ['199e2f91fd431d51'] } });
        expect(a.fixedVersion).toBeUndefined();
        expect(a.aliases).toEqual([]);
      }
    }
  });

  test('the two RHSA definitions: fixed EVRs of the Ansible Engine builds', () => {
    expect(one(advisories, 'RHSA-2019:3927', 'rhel:8', 'ansible')).toMatchObject({
      state: 'fixed',
      fixedVersion: '2.9.1-1.el8',
      aliases: ['CVE-2019-14864'],
    });
    expect(one(advisories, 'RHSA-2020:0215', 'rhel:8', 'ansible-test')).toMatchObject({
      state: 'fixed',
      fixedVersion: '2.9.4-1.el8ae',
      aliases: ['CVE-2019-14904', 'CVE-2019-14905'],
    });
    expect(advisories).toHaveLength(10);
  });
});

describe('module streams, resolution states and older release tests (hand-written, schema-valid file)', () => {
  let advisories: Advisory[];
  beforeAll(async () => {
    advisories = await collect(createReadStream(HAND), 'module-stream-and-resolutions.xml');
  });

  test('"Module postgresql:12 is enabled" becomes the moduleStream condition of every package of the definition', () => {
    for (const pkg of ['pgaudit', 'postgresql']) {
      expect(one(advisories, 'RHSA-2099:0001', 'rhel:8', pkg).conditions).toEqual({
        signedBy: ['199e2f91fd431d51'],
        arch: ['aarch64', 'ppc64le', 's390x', 'x86_64'],
        moduleStream: 'postgresql:12',
      });
    }
    expect(one(advisories, 'RHSA-2099:0001', 'rhel:8', 'postgresql').fixedVersion).toBe('12.5-1.module+el8.3.0+9042+664538f4');
  });

  test.each([
    ['libtiff', 'will-not-fix'],
    ['libtiff-devel', 'unfixed'],
    ['libtiff-tools', 'unfixed'],
    ['compat-libtiff3', 'will-not-fix'],
  ])('resolution of %s → %s', (pkg, state) => {
    expect(one(advisories, 'CVE-2099-0002', 'rhel:8', pkg).state).toBe(state);
  });

  test('an rpminfo release test on redhat-release-server, an arch equality, an errata id with revision suffix, CVSS v2', () => {
    expect(one(advisories, 'RHSA-2099:0003', 'rhel:7', 'bash')).toMatchObject({
      fixedVersion: '4.2.46-35.el7_9',
      conditions: { arch: ['x86_64'] },
      aliases: ['CVE-2099-0003'],
      cvss: [{ version: '2.0', score: 4.3, vector: 'AV:N/AC:M/Au:N/C:N/I:P/A:N' }],
    });
  });

  test('a stream cut into 7-byte pieces, splitting UTF-8 characters, reads the same', async () => {
    const pieces = await collect(fromText(readFileSync(HAND, 'utf8'), 7), 'module-stream-and-resolutions.xml');
    expect(pieces).toEqual(advisories);
    expect(one(pieces, 'RHSA-2099:0001', 'rhel:8', 'pgaudit').description).toContain('naïve café — “quoted” ✓');
  });
});

describe('malformed input is a FeedError naming the file and where', () => {
  const hand = (): string => readFileSync(HAND, 'utf8');

  test('a truncated document names line and column', async () => {
    const text = hand();
    const error = await failure(fromText(text.slice(0, Math.floor(text.length / 2))));
    expect(error.message).toMatch(/^OVAL: malformed XML: broken\.xml:\d+:\d+: unclosed tag/);
  });

  test('a definition without criteria', async () => {
    const text = hand().replace(/<criteria operator="AND">\s*<criterion comment="Red Hat Enterprise Linux 7[\s\S]*?<\/criteria>/, '');
    const error = await failure(fromText(text));
    expect(error.message).toBe('OVAL: definition oval:com.redhat.rhsa:def:20990003 (line 97) has no criteria');
  });

  test('a criterion referring to a test the file does not define', async () => {
    const error = await failure(fromText(hand().replace('test_ref="oval:com.redhat.rhsa:tst:20990003001"', 'test_ref="oval:com.redhat.rhsa:tst:404"')));
    expect(error.message).toMatch(/definition oval:com\.redhat\.rhsa:def:20990003: criterion at line \d+ refers to test oval:com\.redhat\.rhsa:tst:404/);
  });

  test('negated criteria are refused rather than read as their opposite', async () => {
    const error = await failure(fromText(hand().replace('<criterion comment="bash is earlier', '<criterion negate="true" comment="bash is earlier')));
    expect(error.message).toMatch(/definition oval:com\.redhat\.rhsa:def:20990003: negated <criterion> at line \d+ is not supported/);
  });

  test('an unknown resolution state is refused rather than guessed', async () => {
    const error = await failure(fromText(hand().replace('state="Fix deferred"', 'state="Maybe later"')));
    expect(error.message).toMatch(/unknown resolution state "Maybe later"/);
  });

  test('a state entity the importer does not model is refused, naming the test', async () => {
    const error = await failure(
      fromText(hand().replace('<red-def:evr datatype="evr_string" operation="less than">0:4.2.46', '<red-def:release operation="equals">1</red-def:release><red-def:evr datatype="evr_string" operation="less than">0:4.2.46')),
    );
    expect(error.message).toMatch(/test oval:com\.redhat\.rhsa:tst:20990003001 .*"bash is earlier than 0:4\.2\.46-35\.el7_9"\): state .* entity <release> is not supported/);
  });

  test('a test with two states is refused', async () => {
    const error = await failure(
      fromText(hand().replace('<red-def:state state_ref="oval:com.redhat.rhsa:ste:20990003001"/>', '<red-def:state state_ref="oval:com.redhat.rhsa:ste:20990003001"/><red-def:state state_ref="oval:com.redhat.rhsa:ste:20990001002"/>')),
    );
    expect(error.message).toMatch(/test oval:com\.redhat\.rhsa:tst:20990003001 \(line \d+\) has more than one state/);
  });

  test('a test type the importer does not model is refused, naming it', async () => {
    const text = hand().replace(
      /<red-def:rpminfo_test (check="at least one" comment="bash is earlier[^>]*>[\s\S]*?)<\/red-def:rpminfo_test>/,
      '<red-def:rpmverifypackage_test $1</red-def:rpmverifypackage_test>',
    );
    const error = await failure(fromText(text));
    expect(error.message).toMatch(/test oval:com\.redhat\.rhsa:tst:20990003001 .*: test type rpmverifypackage_test is not supported/);
  });

  test('another root element', async () => {
    const error = await failure(fromText('<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"></feed>'));
    expect(error.message).toMatch(/root element <feed> .* is not an OVAL 5 <oval_definitions>/);
  });

  test('an empty file', async () => {
    const error = await failure(Readable.from([]));
    expect(error.message).toMatch(/^OVAL: malformed XML: /);
  });
});

describe('detect', () => {
  const head = (path: string): string => readFileSync(path).subarray(0, 65536).toString('utf8');

  test('claims Red Hat OVAL files, v1 and v2', async () => {
    expect(redHatOvalFormat.detect(head(V1), 'com.redhat.rhsa-RHEL8.xml')).toBe(true);
    expect(redHatOvalFormat.detect(head(HAND), 'x.xml')).toBe(true);
    const chunks: Buffer[] = [];
    for await (const c of v2Stream()) chunks.push(c as Buffer);
    expect(redHatOvalFormat.detect(Buffer.concat(chunks).toString('utf8'), 'rhel-8-ansible-2-including-unpatched.oval.xml')).toBe(true);
  });

  test('leaves other OVAL producers and CSAF alone', () => {
    expect(redHatOvalFormat.detect('<oval_definitions xmlns="http://oval.mitre.org/XMLSchema/oval-definitions-5"><definitions><definition id="oval:com.ubuntu.jammy:def:1"', 'x.xml')).toBe(false);
    expect(redHatOvalFormat.detect(head(join(__dirname, '../fixtures/feeds/redhat-csaf/rhsa-2024_6163.json')), 'rhsa.json')).toBe(false);
  });
});

test('definitions naming no package of a RHEL release are counted as skipped', async () => {
  const text = readFileSync(HAND, 'utf8').replace(
    /<criterion comment="Red Hat Enterprise Linux 7 is installed"[^>]*\/>\s*<criterion comment="bash is earlier[^>]*\/>/,
    '<criterion comment="Red Hat Enterprise Linux must be installed" test_ref="oval:com.redhat.rhsa:tst:20990001006"/>',
  );
  const skipped = new SkipTally();
  const advisories = await collect(fromText(text), 'x.xml', skipped);
  expect(advisories.some((a) => a.id === 'RHSA-2099:0003')).toBe(false);
  expect(skipped.entries()).toEqual([['OVAL definition naming no package of a Red Hat Enterprise Linux release', 1]]);
});
