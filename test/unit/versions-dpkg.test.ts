import { corpusVersions, loadCorpus, orderViolations } from '../fixtures/version-compare/corpus';
import { dpkgScheme } from '../../src/vuln/versions/dpkg';

const rows = loadCorpus('dpkg-version.tsv');

describe('dpkg corpus (dpkg test suite, 57 rows)', () => {
  it('reads every row of the corpus', () => {
    expect(rows).toHaveLength(57);
  });

  it.each(rows)('line $line: $a vs $b is $expected, and the reverse is its opposite', ({ a, b, expected }) => {
    expect(dpkgScheme.compare(a, b)).toBe(expected);
    expect(dpkgScheme.compare(b, a)).toBe(0 - expected);
  });

  it('orders all corpus versions consistently', () => {
    expect(orderViolations(dpkgScheme.compare, corpusVersions(rows))).toEqual([]);
  });
});

// Each expectation below was checked with `dpkg --compare-versions` (dpkg 1.21.22).
describe('dpkg ordering beyond the corpus', () => {
  it.each([
    ['1:1.0', '2.0', 1],
    ['2:0.1', '1:9.9', 1],
    ['10:1', '9:2', 1],
    ['0:1.0-1', '1.0-1', 0],
    ['1.0~rc1-1', '1.0-1', -1],
    ['1.0~rc1+dfsg-1', '1.0~rc1-1', 1],
    ['1.0~~', '1.0~', -1],
    ['1.2.3~dfsg', '1.2.3', -1],
    ['1.2.3+dfsg', '1.2.3', 1],
    ['1.0a', '1.0+', -1],
    ['1.10', '1.9', 1],
    ['1.0-2-1', '1.0-10', 1],
    ['2.36-9+deb12u9', '2.36-9+deb12u10', -1],
    ['1.1.1n-0+deb11u3', '1.1.1n-0+deb11u5', -1],
    ['2.35-0ubuntu3.1', '2.35-0ubuntu3.8', -1],
    ['1.0-1', '1.0-1ubuntu1', -1],
    ['1.0-1ubuntu1', '1.0-1.1', -1],
    ['1:2.30-1ubuntu1', '1:2.30-1', 1],
  ] as const)('%s vs %s is %d', (a, b, expected) => {
    expect(dpkgScheme.compare(a, b)).toBe(expected);
    expect(dpkgScheme.compare(b, a)).toBe(0 - expected);
  });

  it('ignores leading and trailing blanks as dpkg does', () => {
    expect(dpkgScheme.compare(' 1.0', '1.0')).toBe(0);
    expect(dpkgScheme.compare('1.0\t', '1.0')).toBe(0);
  });

  it('still orders versions dpkg only warns about, as dpkg does', () => {
    expect(dpkgScheme.compare('a1', '1')).toBe(1);
    expect(dpkgScheme.compare('1.0_rc1', '1.0')).toBe(1);
    // A newline is not a blank to dpkg: it stays in the version and sorts after letters.
    expect(dpkgScheme.compare('1.0\n', '1.0')).toBe(1);
    // strtol skips it before the epoch, though.
    expect(dpkgScheme.compare('\n1:2', '1:2')).toBe(0);
    expect(dpkgScheme.compare('+1:2', '1:2')).toBe(0);
  });

  it('puts an empty version below every version, even ~, as dpkg --compare-versions does', () => {
    expect(dpkgScheme.compare('', '~')).toBe(-1);
    expect(dpkgScheme.compare('', '0')).toBe(-1);
    expect(dpkgScheme.compare('0', '')).toBe(1);
    expect(dpkgScheme.compare('', '')).toBe(0);
  });

  it('orders versions dpkg refuses by the parts it could split, never throwing', () => {
    // An empty revision compares like no revision.
    expect(dpkgScheme.compare('1.0-', '1.0')).toBe(0);
    // A bad epoch is no epoch: "a:1.0" is an upstream version starting with a letter.
    expect(dpkgScheme.compare('a:1.0', '1:0')).toBe(-1);
    expect(dpkgScheme.compare('a:1.0', '0.1')).toBe(1);
    expect(dpkgScheme.compare('-1:1.0', '0:1.0')).toBe(-1);
    // Blanks inside the version are characters heavier than letters.
    expect(dpkgScheme.compare('1.0 a', '1.0a')).toBe(1);
  });

  it('keeps one consistent order over valid and malformed versions alike', () => {
    const versions = [
      ...corpusVersions(rows),
      '', ' ', '~', '0', '1:', ':1', 'a:1.0', '-1:1.0', '2147483648:1', '1.0-', '-1', '1.0 1', 'a1', '1.0\n',
      '1:1.0', '1.0~rc1-1', '2.36-9+deb12u9', '1:2.30-1ubuntu1', 'é', '1.0é', '1.0😀', '1.0\uffff',
    ];
    expect(orderViolations(dpkgScheme.compare, versions)).toEqual([]);
  });

  it('orders non-ASCII characters by code point, as dpkg orders their UTF-8 bytes', () => {
    expect(dpkgScheme.compare('1.0é', '1.0z')).toBe(1);
    expect(dpkgScheme.compare('1.0é', '1.0ü')).toBe(-1);
    expect(dpkgScheme.compare('1.0😀', '1.0\uffff')).toBe(1);
  });
});

describe('dpkg isValid', () => {
  it.each([
    '1.0',
    '0',
    '1:2.30-1ubuntu1',
    '2.36-9+deb12u9',
    '1.0~rc1+dfsg-1',
    '1.0-1-1',
    '1:2:3',
    '+1:2',
    '2147483647:1',
    ' 1.0',
    '1.0\t',
  ])('accepts %j', (version) => {
    expect(dpkgScheme.isValid(version)).toBe(true);
  });

  it.each([
    ['', 'empty'],
    ['  ', 'blank'],
    ['1.0 1', 'embedded blank'],
    [':1.0', 'empty epoch'],
    ['a:1.0', 'epoch not a number'],
    ['-1:1.0', 'negative epoch'],
    ['2147483648:1.0', 'epoch above INT_MAX'],
    ['1:', 'nothing after the colon'],
    ['1.0-', 'empty revision'],
    ['-1', 'empty upstream version'],
    ['a1.0', 'upstream not starting with a digit'],
    ['1.0_1', 'underscore in the upstream version'],
    ['1.0-a_b', 'underscore in the revision'],
    ['1.0-1:2', 'colon in the revision'],
    ['1.0\n', 'newline in the version'],
    ['1.0é', 'non-ASCII letter'],
  ])('rejects %j (%s)', (version) => {
    expect(dpkgScheme.isValid(version)).toBe(false);
  });

  it('accepts every version of the corpus', () => {
    expect(corpusVersions(rows).filter((v) => !dpkgScheme.isValid(v))).toEqual([]);
  });
});
