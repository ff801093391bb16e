import { createReadStream, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { FeedError } from '../../src/errors';
import type { Advisory } from '../../src/vuln/advisory';
import type { FeedContext } from '../../src/vuln/feeds/feed-format';
import { SkipTally } from '../../src/vuln/feeds/namespaces';
import { redHatCsafFormat } from '../../src/vuln/feeds/redhat-csaf';

const DIR = join(__dirname, '../fixtures/feeds/redhat-csaf');
const CURL_VEX = 'vex-cve-2023-38545.json';
const OPENSSL_VEX = 'vex-cve-2024-0727.json';
const PYTHON_RHSA = 'rhsa-2024_6163.json';
const PROTOBUF_VEX = 'vex-cve-2024-24786.simple.json';

async function collect(input: Readable, file: string, skipped = new SkipTally()): Promise<Advisory[]> {
  const out: Advisory[] = [];
  const context: FeedContext = { file, feed: 'redhat-csaf', skipped };
  for await (const a of redHatCsafFormat.parse(input, context)) out.push(a);
  return out;
}

const read = (name: string): Promise<Advisory[]> => collect(createReadStream(join(DIR, name)), name);
const text = (name: string): string => readFileSync(join(DIR, name), 'utf8');

function one(advisories: Advisory[], namespace: string, pkg: string, bySource = false): Advisory {
  const found = advisories.filter((a) => a.namespace === namespace && a.package === pkg && (a.conditions?.bySource ?? false) === bySource);
  expect(found).toHaveLength(1);
  return found[0] as Advisory;
}

async function failure(body: string, file = 'broken.json'): Promise<FeedError> {
  try {
    await collect(Readable.from([Buffer.from(body)]), file);
  } catch (e) {
    expect(e).toBeInstanceOf(FeedError);
    expect((e as FeedError).context.file).toBe(file);
    return e as FeedError;
  }
  throw new Error('expected a FeedError');
}

describe('curl CVE-2023-38545 (VEX)', () => {
  let advisories: Advisory[];
  beforeAll(async () => {
    advisories = await read(CURL_VEX);
  });

  test('RHEL 8 curl is not affected, its binaries and its source rpm alike', () => {
    for (const pkg of ['curl', 'libcurl', 'libcurl-devel', 'libcurl-minimal']) {
      expect(one(advisories, 'rhel:8', pkg)).toMatchObject({ id: 'CVE-2023-38545', state: 'not-affected' });
    }
    expect(one(advisories, 'rhel:8', 'curl', true)).toMatchObject({ state: 'not-affected', conditions: { bySource: true } });
    expect(one(advisories, 'rhel:8', 'curl').fixedVersion).toBeUndefined();
  });

  test('RHEL 9 curl is fixed in the newest stream: 7.76.1-26.el9_3.2 (9.3), not the 9.2 EUS build 7.76.1-23.el9_2.4', () => {
    const curl = one(advisories, 'rhel:9', 'curl');
    expect(curl).toMatchObject({
      id: 'CVE-2023-38545',
      state: 'fixed',
      fixedVersion: '7.76.1-26.el9_3.2',
      aliases: ['RHSA-2023:5763', 'RHSA-2023:6745'],
      severity: 'High',
      vendorSeverity: 'Important',
      cvss: [{ version: '3.1', score: 8.1, vector: 'CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:H/A:H' }],
      title: 'curl: heap based buffer overflow in the SOCKS5 proxy handshake',
      published: '2023-10-11T00:00:00+00:00',
      modified: '2025-11-21T14:31:32+00:00',
      ecosystem: 'rpm',
      feed: 'redhat-csaf',
    });
    expect(curl.references).toEqual(expect.arrayContaining(['https://access.redhat.com/errata/RHSA-2023:6745', 'https://access.redhat.com/security/cve/CVE-2023-38545']));
    expect(curl.description).toMatch(/SOCKS5/);
    expect(one(advisories, 'rhel:9', 'libcurl-minimal').fixedVersion).toBe('7.76.1-26.el9_3.2');
  });

  test('layered products and EUS streams are skipped and counted, never filed under rhel:N', async () => {
    const skipped = new SkipTally();
    const again = await collect(createReadStream(join(DIR, CURL_VEX)), CURL_VEX, skipped);
    expect(again.every((a) => /^rhel:[6-9]$/.test(a.namespace))).toBe(true);
    expect(again.some((a) => a.package.startsWith('jbcs-'))).toBe(false);
    const reasons = new Map(skipped.entries());
    expect(reasons.get('CSAF platform cpe:/a:redhat:rhel_eus:9.0::appstream is not mainstream RHEL')).toBe(49);
    expect(reasons.get('CSAF platform cpe:/a:redhat:jboss_core_services:1::el8 is not mainstream RHEL')).toBe(69);
    expect(reasons.get('CSAF product that is not a component of a platform')).toBe(1);
  });
});

describe('openssl CVE-2024-0727 (VEX)', () => {
  let advisories: Advisory[];
  beforeAll(async () => {
    advisories = await read(OPENSSL_VEX);
  });

  test('RHEL 8 openssl and openssl-libs are affected with the fix deferred: unfixed', () => {
    for (const pkg of ['openssl', 'openssl-libs', 'openssl-devel', 'openssl-perl', 'openssl-static']) {
      expect(one(advisories, 'rhel:8', pkg)).toMatchObject({ id: 'CVE-2024-0727', state: 'unfixed', severity: 'Low', vendorSeverity: 'Low' });
    }
    expect(one(advisories, 'rhel:8', 'openssl', true).state).toBe('unfixed');
    expect(one(advisories, 'rhel:8', 'openssl-libs').fixedVersion).toBeUndefined();
  });

  test('no_fix_planned ("Will not fix", "Out of support scope") is will-not-fix', () => {
    expect(one(advisories, 'rhel:8', 'edk2-ovmf').state).toBe('will-not-fix');
    expect(one(advisories, 'rhel:7', 'openssl-libs').state).toBe('will-not-fix');
    expect(one(advisories, 'rhel:6', 'openssl').state).toBe('will-not-fix');
  });

  test('RHEL 9 openssl-libs is fixed in 1:3.0.7-27.el9, the epoch taken from the purl qualifier', () => {
    expect(one(advisories, 'rhel:9', 'openssl-libs')).toMatchObject({
      state: 'fixed',
      fixedVersion: '1:3.0.7-27.el9',
      aliases: ['RHSA-2024:2447'],
      cvss: [{ version: '3.1', score: 5.5, vector: 'CVSS:3.1/AV:L/AC:L/PR:N/UI:R/S:U/C:N/I:N/A:H' }],
    });
    expect(one(advisories, 'rhel:9', 'openssl', true).fixedVersion).toBe('1:3.0.7-27.el9');
  });

  test('known_not_affected products stay not-affected', () => {
    expect(one(advisories, 'rhel:9', 'openssl-fips-provider').state).toBe('not-affected');
    expect(one(advisories, 'rhel:8', 'shim-x64').state).toBe('not-affected');
  });
});

test('RHSA-2024:6163 lists only the source rpm: one advisory on python3.9 matched by source', async () => {
  const advisories = await read(PYTHON_RHSA);
  expect(advisories).toHaveLength(1);
  expect(advisories[0]).toMatchObject({
    id: 'RHSA-2024:6163',
    aliases: ['CVE-2024-8088'],
    namespace: 'rhel:9',
    package: 'python3.9',
    state: 'fixed',
    fixedVersion: '3.9.18-3.el9_4.5',
    conditions: { bySource: true },
    severity: 'Medium',
    vendorSeverity: 'Moderate',
    title: 'Red Hat Security Advisory: python3.9 security update',
    published: '2024-09-03T17:57:24+00:00',
    modified: '2026-03-26T18:50:03+00:00',
  });
  expect(advisories[0]?.references).toEqual(expect.arrayContaining(['https://access.redhat.com/errata/RHSA-2024:6163']));
});

test('CVE-2024-24786 (simplified) concerns only OpenShift: no advisory, one skipped product', async () => {
  const skipped = new SkipTally();
  const advisories = await collect(createReadStream(join(DIR, PROTOBUF_VEX)), PROTOBUF_VEX, skipped);
  expect(advisories).toEqual([]);
  expect(skipped.entries()).toEqual([['CSAF platform cpe:/a:redhat:openshift:4.16::el9 is not mainstream RHEL', 1]]);
});

describe('malformed documents are a FeedError naming the file and where', () => {
  test('a file cut inside a string: where the input stops, by line and column', async () => {
    const body = text(PYTHON_RHSA).slice(0, 5000);
    const lines = body.split('\n');
    const error = await failure(body);
    expect(error.message).toBe(
      `CSAF: malformed JSON at line ${lines.length}, column ${(lines[lines.length - 1] as string).length + 1}: Unterminated string in JSON at position 5000`,
    );
  });

  test('a file cut where a value should start: the end, by line and column', async () => {
    const body = text(PYTHON_RHSA);
    // Just after `"fixed": [`, where JSON.parse reports no position of its own.
    const cut = body.slice(0, body.indexOf('"fixed": [') + '"fixed": [\n'.length);
    const error = await failure(cut);
    expect(error.message).toBe(`CSAF: malformed JSON at the end (line ${cut.split('\n').length}, column 1): Unexpected end of JSON input`);
  });

  test('a syntax error: its line and column', async () => {
    const error = await failure('{\n  "document": {\n    "category": "csaf_vex",,\n  }\n}');
    expect(error.message).toMatch(/^CSAF: malformed JSON at line 3, column 28: /);
  });

  test('no product_tree', async () => {
    const doc = JSON.parse(text(PYTHON_RHSA)) as Record<string, unknown>;
    delete doc.product_tree;
    const error = await failure(JSON.stringify(doc));
    expect(error.message).toMatch(/\$\.product_tree: is missing/);
  });

  test('a VEX vulnerability without its CVE', async () => {
    const doc = JSON.parse(text(PROTOBUF_VEX)) as { vulnerabilities: Array<Record<string, unknown>> };
    delete doc.vulnerabilities[0]?.cve;
    const error = await failure(JSON.stringify(doc));
    expect(error.message).toBe('CSAF: $.vulnerabilities[0].cve is missing in a VEX document');
  });

  test('a wrongly typed field, by JSON path', async () => {
    const doc = JSON.parse(text(PYTHON_RHSA)) as { vulnerabilities: Array<{ product_status: { fixed: unknown } }> };
    (doc.vulnerabilities[0] as { product_status: { fixed: unknown } }).product_status.fixed = 'AppStream';
    const error = await failure(JSON.stringify(doc));
    expect(error.message).toMatch(/\$\.vulnerabilities\[0\]\.product_status\.fixed: /);
  });

  test('a fixed product whose purl carries no version', async () => {
    const body = text(PYTHON_RHSA).replace('"pkg:rpm/redhat/python3.9@3.9.18-3.el9_4.5?arch=src"', '"pkg:rpm/redhat/python3.9?arch=src"');
    const error = await failure(body);
    expect(error.message).toBe('CSAF: fixed product AppStream-9.4.0.Z.MAIN.EUS:python3.9-0:3.9.18-3.el9_4.5.src of RHSA-2024:6163 has no version in its purl');
  });

  test('another publisher', async () => {
    const error = await failure(text(PYTHON_RHSA).replace('"namespace": "https://www.redhat.com"', '"namespace": "https://example.test"'));
    expect(error.message).toMatch(/publisher\.namespace is https:\/\/example\.test, not Red Hat's/);
  });
});

describe('detect', () => {
  test.each([CURL_VEX, OPENSSL_VEX, PYTHON_RHSA, PROTOBUF_VEX])('claims %s', (name) => {
    expect(redHatCsafFormat.detect(text(name).slice(0, 65536), name)).toBe(true);
  });

  test('leaves OVAL and OSV alone', () => {
    const oval = readFileSync(join(__dirname, '../fixtures/feeds/redhat-oval/com.redhat.rhsa-RHEL8.xml')).subarray(0, 65536).toString('utf8');
    expect(redHatCsafFormat.detect(oval, 'com.redhat.rhsa-RHEL8.xml')).toBe(false);
    expect(redHatCsafFormat.detect('{"id":"CVE-2024-0727","modified":"2024-01-01T00:00:00Z","affected":[]}', 'osv.json')).toBe(false);
  });
});
