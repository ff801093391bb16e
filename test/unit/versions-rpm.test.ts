import { corpusVersions, loadCorpus, orderViolations } from '../fixtures/version-compare/corpus';
import { rpmScheme } from '../../src/vuln/versions/rpm';

const rows = loadCorpus('rpm-rpmvercmp.tsv');

describe('rpm corpus (rpmvercmp test suite, 91 rows)', () => {
  it('reads every row of the corpus', () => {
    expect(rows).toHaveLength(91);
  });

  it.each(rows)('line $line: $a vs $b is $expected, and the reverse is its opposite', ({ a, b, expected }) => {
    expect(rpmScheme.compare(a, b)).toBe(expected);
    expect(rpmScheme.compare(b, a)).toBe(0 - expected);
  });

  it('orders all corpus versions consistently', () => {
    expect(orderViolations(rpmScheme.compare, corpusVersions(rows))).toEqual([]);
  });
});

// Each expectation below was checked with rpm 4.18's `rpm.vercmp()` (`rpm --eval '%{lua: …}'`).
describe('rpm EVR ordering beyond the corpus', () => {
  it.each([
    ['1:1.0-1', '2.0-1', 1],
    ['2:1.0', '10:0.1', -1],
    ['0:1.0-1', '1.0-1', 0],
    ['01:1.0', '1:1.0', 0],
    [':1.0', '0:1.0', 0],
    ['a:1.0', '1.0', -1],
    ['1:1.0', 'a:1.0', 1],
    ['7.61.1-8.el8', '7.61.1-33.el8_9.5', -1],
    ['1:1.1.1-8.el8', '1:1.1.1k-12.el8_9', -1],
    ['2.28-42.el8', '2.28-251.el8_10.2', -1],
    ['5.3.28-42.el8_4', '5.3.28-42.el8_4.1', -1],
    ['1.0-1.el8', '1.0-1.el8_1', -1],
    ['1.0~rc1-1', '1.0-1', -1],
    ['1.0^git1-1', '1.0-1', 1],
    ['1.0-1-2', '1.0-1', 1],
    ['1.0a', '1.0+', 1],
    ['1.0_rc1', '1.0', 1],
  ] as const)('%s vs %s is %d', (a, b, expected) => {
    expect(rpmScheme.compare(a, b)).toBe(expected);
    expect(rpmScheme.compare(b, a)).toBe(0 - expected);
  });

  it('orders a missing release before any release, as rpmverCmp does', () => {
    expect(rpmScheme.compare('1.0', '1.0-1')).toBe(-1);
    expect(rpmScheme.compare('1.0', '1.0-0')).toBe(-1);
    expect(rpmScheme.compare('1.0-', '1.0')).toBe(1);
    expect(rpmScheme.compare('1:1.0', '0:1.0')).toBe(1);
  });

  it('keeps one consistent order over full EVRs, partial ones and garbage', () => {
    const versions = [
      ...corpusVersions(rows),
      '', '-', ':', '1.0', '1.0-', '1.0-1', '0:1.0-1', '1:1.0', ':1.0', 'a:1.0', '1.0-1-2', '1.0~rc1-1', '1.0^git1-1',
      '7.61.1-8.el8', '7.61.1-33.el8_9.5', '1.0é', 'é', '1.0 1',
    ];
    expect(orderViolations(rpmScheme.compare, versions)).toEqual([]);
  });

  it('treats non-ASCII characters as separators, as rpm does', () => {
    expect(rpmScheme.compare('1.0é1', '1.0.1')).toBe(0);
  });
});

describe('rpm isValid', () => {
  it.each(['1.0', '1.0-1', '1:1.0-1.el8', '0:7.61.1-33.el8_9.5', '1.0~rc1^git2-3.fc40', '2.0.1a', '1_0+b'])(
    'accepts %j',
    (version) => {
      expect(rpmScheme.isValid(version)).toBe(true);
    },
  );

  it.each([
    ['', 'empty'],
    [':1.0', 'empty epoch'],
    ['a:1.0', 'epoch not a number'],
    ['1:', 'empty version'],
    ['-1', 'empty version before the release'],
    ['1.0-', 'empty release'],
    ['1.0-1-2', 'hyphen in the version'],
    ['1.0-1:2', 'colon in the release'],
    ['1.0 1', 'blank'],
    ['1.0/2', 'slash'],
    ['1.0é', 'non-ASCII letter'],
  ])('rejects %j (%s)', (version) => {
    expect(rpmScheme.isValid(version)).toBe(false);
  });

  it('accepts every version of the corpus', () => {
    expect(corpusVersions(rows).filter((v) => !rpmScheme.isValid(v))).toEqual([]);
  });
});
