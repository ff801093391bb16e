import { readFileSync } from 'node:fs';
import path from 'node:path';
import { FeedError } from '../../src/errors';
import type { Advisory } from '../../src/vuln/advisory';
import { debianTrackerFormat } from '../../src/vuln/feeds/debian-tracker';
import { openFeedFile } from '../../src/vuln/feeds/open-feed-file';
import { SkipTally, debianNamespace, debianReleaseNumber } from '../../src/vuln/feeds/namespaces';
import { feedError, parseFeed } from './feed-test-helpers';

const SLICE = readFileSync(path.join(__dirname, '../fixtures/feeds/debian-tracker/tracker-slice.vunnel.json'));

const parse = (content: Buffer | string, file = 'tracker.json', skipped?: SkipTally): Promise<Advisory[]> =>
  parseFeed(debianTrackerFormat, content, { file, feed: 'debian-test', skipped });

const parseError = (content: string, file = 'bad.json'): Promise<FeedError> => feedError(() => parse(content, file), file);

const entry = (releases: unknown) => JSON.stringify({ pkg: { 'CVE-2024-0001': { description: 'd', scope: 'remote', releases } } });

describe('Debian tracker slice', () => {
  let advisories: Advisory[];
  const skipped = new SkipTally();
  beforeAll(async () => {
    advisories = await parse(SLICE, 'slice.json', skipped);
  });

  test('25 release entries: 19 advisories in numbered releases, 6 sid entries skipped and counted', () => {
    expect(advisories).toHaveLength(19);
    expect(skipped.entries()).toEqual([['Debian suite sid has no release number', 6]]);
    expect(new Set(advisories.map((a) => a.namespace))).toEqual(new Set(['debian:8', 'debian:9', 'debian:10', 'debian:11', 'debian:12', 'debian:13']));
    expect(advisories.every((a) => a.ecosystem === 'dpkg' && a.feed === 'debian-test' && a.aliases.length === 0)).toBe(true);
  });

  test('resolved with a version → fixed, with the urgency as severity', () => {
    const a = advisories.find((x) => x.id === 'CVE-2008-7220' && x.namespace === 'debian:10');
    expect(a).toMatchObject({
      package: 'prototypejs',
      state: 'fixed',
      fixedVersion: '1.6.0.2-1',
      severity: 'High',
      vendorSeverity: 'urgency high**',
      references: ['https://security-tracker.debian.org/tracker/CVE-2008-7220', 'https://bugs.debian.org/555217'],
    });
    expect(a!.description).toContain('Prototype JavaScript framework');
  });

  test('resolved with fixed_version 0 → not-affected', () => {
    const a = advisories.filter((x) => x.id === 'CVE-2007-2383');
    expect(a.map((x) => x.namespace).sort()).toEqual(['debian:10', 'debian:8', 'debian:9']);
    expect(a.every((x) => x.state === 'not-affected' && x.fixedVersion === undefined && x.severity === 'Low')).toBe(true);
  });

  test('open and end-of-life → will-not-fix; bookworm fixed; urgency not yet assigned stays Unknown', () => {
    const chromium = advisories.filter((x) => x.package === 'chromium');
    expect(chromium.map((x) => [x.namespace, x.state, x.fixedVersion ?? null])).toEqual([
      ['debian:12', 'fixed', '98.0.4758.80-1'],
      ['debian:11', 'fixed', '98.0.4758.80-1~deb11u1'],
      ['debian:10', 'will-not-fix', null],
      ['debian:9', 'will-not-fix', null],
    ]);
    expect(chromium.every((x) => x.severity === 'Unknown')).toBe(true);
    expect(chromium[2]!.vendorSeverity).toBe('urgency end-of-life');
  });

  test('sope in trixie is debian:13; a CVE with an empty release list gives nothing', () => {
    expect(advisories.find((x) => x.package === 'sope' && x.namespace === 'debian:13')).toMatchObject({ fixedVersion: '5.12.1-2' });
    expect(advisories.some((x) => x.package === 'chromium-browser')).toBe(false);
  });

  test('the bzip2 copy of the slice reads the same through the compressed path', async () => {
    const out: Advisory[] = [];
    for await (const member of openFeedFile(path.join(__dirname, '../fixtures/feeds/debian-tracker/tracker-slice.vunnel.json.bz2'))) {
      for await (const a of debianTrackerFormat.parse(member.stream, { file: member.file, feed: 'debian-test' })) out.push(a);
    }
    expect(out).toEqual(advisories);
  });
});

describe('Debian tracker states', () => {
  test.each([
    [{ status: 'open', urgency: 'medium' }, 'unfixed', 'Medium'],
    [{ status: 'open', urgency: 'unimportant' }, 'will-not-fix', 'Low'],
    [{ status: 'open', urgency: 'low', nodsa: 'Minor issue', nodsa_reason: '' }, 'unfixed', 'Low'],
    [{ status: 'open', urgency: 'low', nodsa: 'Minor issue', nodsa_reason: 'postponed' }, 'unfixed', 'Low'],
    [{ status: 'open', urgency: 'low', nodsa: 'Minor issue', nodsa_reason: 'ignored' }, 'will-not-fix', 'Low'],
    [{ status: 'undetermined', urgency: 'not yet assigned' }, 'unfixed', 'Unknown'],
    [{ status: 'open' }, 'unfixed', 'Unknown'],
  ])('%j → %s', async (release, state, severity) => {
    const [a] = await parse(entry({ bookworm: release }));
    expect(a).toMatchObject({ namespace: 'debian:12', package: 'pkg', id: 'CVE-2024-0001', state, severity });
    expect(a!.fixedVersion).toBeUndefined();
  });
});

describe('Debian codenames', () => {
  test('codename table', () => {
    expect(['wheezy', 'jessie', 'stretch', 'buster', 'bullseye', 'bookworm', 'trixie', 'forky'].map(debianReleaseNumber)).toEqual([
      '7', '8', '9', '10', '11', '12', '13', '14',
    ]);
    expect(debianReleaseNumber('sid')).toBeUndefined();
    expect(debianReleaseNumber('experimental')).toBeUndefined();
    expect(debianReleaseNumber('toString')).toBeUndefined();
    expect(debianNamespace('Bookworm')).toBe('debian:12');
    expect(debianNamespace('12')).toBe('debian:12');
  });
});

describe('Debian tracker malformed input', () => {
  test('truncated: the error names the byte offset and the path reached', async () => {
    const text = SLICE.toString('utf8');
    const e = await parseError(text.slice(0, 3000), 'cut.json');
    expect(e.message).toMatch(/malformed JSON at the end \(byte 3000\), after \$\.txt2man\["CVE-2013-1444"\]/);
  });

  test('resolved without fixed_version', async () => {
    const e = await parseError(entry({ bookworm: { status: 'resolved', urgency: 'low' } }));
    expect(e.message).toContain('resolved without a fixed_version at $.pkg["CVE-2024-0001"].releases.bookworm');
  });

  test('unknown status, wrong nesting, scalar where an object belongs', async () => {
    expect((await parseError(entry({ bookworm: { status: 'fixed' } }))).message).toContain('$.pkg["CVE-2024-0001"].releases.bookworm.status');
    expect((await parseError(entry(['bookworm']))).message).toContain('$.pkg["CVE-2024-0001"].releases');
    expect((await parseError(JSON.stringify({ pkg: 'CVE-2024-0001' }))).message).toContain('found a string at $.pkg');
    expect((await parseError(JSON.stringify([{ a: 1 }]))).message).toContain('expected {package: {CVE: {…}}}');
    expect((await parseError(JSON.stringify({ pkg: { 'CVE-1': { description: 'x' } } }))).message).toContain('.releases: is missing');
  });
});
