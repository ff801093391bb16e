import { corpusVersions, loadCorpus, orderViolations } from '../fixtures/version-compare/corpus';
import { apkScheme } from '../../src/vuln/versions/apk';

const rows = loadCorpus('apk-version.tsv');

describe('apk corpus (apk-tools test suite, 717 rows)', () => {
  it('reads every row of the corpus', () => {
    expect(rows).toHaveLength(717);
  });

  it.each(rows)('line $line: $a vs $b is $expected, and the reverse is its opposite', ({ a, b, expected }) => {
    expect(apkScheme.compare(a, b)).toBe(expected);
    expect(apkScheme.compare(b, a)).toBe(0 - expected);
  });

  it('orders all corpus versions consistently', () => {
    expect(orderViolations(apkScheme.compare, corpusVersions(rows))).toEqual([]);
  });

  it('holds the rows that compare invalid versions', () => {
    expect(apkScheme.isValid('1.0bc')).toBe(false);
    expect(apkScheme.compare('1.0', '1.0bc')).toBe(-1);
    expect(apkScheme.isValid('23_foo')).toBe(false);
    expect(apkScheme.compare('23_foo', '4_beta')).toBe(1);
  });
});

// From apk-package(5): "number{.number}...{letter}{_suffix{number}}...{~hash}{-r#}", suffixes
// sorting "alpha, beta, pre, rc, <no suffix>, cvs, svn, git, hg, p".
describe('apk ordering from the documented grammar', () => {
  const ascending = [
    '1.0_alpha',
    '1.0_alpha2',
    '1.0_beta',
    '1.0_pre',
    '1.0_rc1',
    '1.0_rc1-r1',
    '1.0',
    '1.0-r1',
    '1.0-r10',
    '1.0_cvs',
    '1.0_svn',
    '1.0_git',
    '1.0_hg',
    '1.0_p1',
    '1.0_p2',
    '1.0a',
    '1.0b',
    '1.0.1',
    '1.1',
  ];

  it.each(ascending.slice(1).map((newer, i) => [ascending[i], newer]))('%s < %s', (older, newer) => {
    expect(apkScheme.compare(older, newer)).toBe(-1);
    expect(apkScheme.compare(newer, older)).toBe(1);
  });

  it('sorts a shuffled list back into the documented order', () => {
    const shuffled = [...ascending].reverse();
    shuffled.push(shuffled.shift() as string);
    expect(shuffled.sort(apkScheme.compare)).toEqual(ascending);
  });

  it('orders a commit hash after the suffixes and before the package revision', () => {
    expect(apkScheme.compare('1.0_rc1~abc1-r1', '1.0_rc1~abc1-r2')).toBe(-1);
    expect(apkScheme.compare('1.0~1234', '1.0~2345')).toBe(-1);
    expect(apkScheme.compare('1.0~abc', '1.0~abc')).toBe(0);
  });

  it('compares dot-numbers with a leading zero as strings, the first number always as a number', () => {
    expect(apkScheme.compare('1.02', '1.1')).toBe(-1);
    expect(apkScheme.compare('1.10', '1.9')).toBe(1);
    expect(apkScheme.compare('010', '9')).toBe(1);
  });

  it('compares numbers of any length, wrapping past 64 bits as apk-tools does', () => {
    expect(apkScheme.compare('1.12345678901234567', '1.12345678901234568')).toBe(-1);
    expect(apkScheme.compare('1.99999999999999999', '1.100000000000000000')).toBe(-1);
    // 2^64 wraps to 0 in apk's uint64_t.
    expect(apkScheme.compare('18446744073709551616', '0')).toBe(0);
  });

  it('keeps one consistent order over valid and malformed versions alike', () => {
    const versions = [...corpusVersions(rows), ...ascending, '', 'a', '1.0-r', '1.0~', '1.0A', '1..0', '1.0_foo', '1.0-1', 'é'];
    expect(orderViolations(apkScheme.compare, versions)).toEqual([]);
  });
});

describe('apk isValid', () => {
  it.each(['1', '1.0', '006', '1.2.3a', '1.0_alpha', '1.0_alpha1_p2', '1.0-r0', '1.0~abc123-r1', '2.12r-r4', '1.0_rc1~deadbeef-r3'])(
    'accepts %j',
    (version) => {
      expect(apkScheme.isValid(version)).toBe(true);
    },
  );

  it.each([
    ['', 'empty'],
    ['a1', 'no leading number'],
    ['.1', 'no leading number'],
    ['1..0', 'empty number'],
    ['1.0bc', 'two letters'],
    ['1.0a1', 'number after the letter'],
    ['1.0A', 'upper-case letter'],
    ['1.0_foo', 'unknown suffix'],
    ['1.0_p1.2', 'number after a suffix'],
    ['1.0~', 'empty hash'],
    ['1.0~xyz', 'hash that is not hex'],
    ['1.0~ab~cd', 'two hashes'],
    ['1.0-1', 'revision without r'],
    ['1.0-r', 'revision without a number'],
    ['1.0-r1_p1', 'suffix after the revision'],
    ['1.0-r1-r2', 'two revisions'],
  ])('rejects %j (%s)', (version) => {
    expect(apkScheme.isValid(version)).toBe(false);
  });
});
