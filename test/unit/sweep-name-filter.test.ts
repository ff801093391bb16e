import { nameFilter } from '../../src/sweep/name-filter';

describe('repository and tag patterns', () => {
  const keeps = (include: string[], exclude: string[], names: string[]) => names.filter((n) => nameFilter({ include, exclude }).matches(n));

  it('keeps everything, nested repositories included, with the default "*"', () => {
    expect(keeps(['*'], [], ['alpine', 'library/alpine', 'team/app/api'])).toEqual(['alpine', 'library/alpine', 'team/app/api']);
  });

  it('"library/*" keeps what is below library/ at any depth, and nothing else', () => {
    expect(keeps(['library/*'], [], ['library/alpine', 'library/tools/jq', 'library', 'libraryx/alpine', 'team/library/alpine'])).toEqual([
      'library/alpine',
      'library/tools/jq',
    ]);
  });

  it('"*-debug" as an exclude drops debug tags and keeps the rest', () => {
    expect(keeps(['*'], ['*-debug'], ['1.0', '1.0-debug', 'debug', 'latest-debug-2'])).toEqual(['1.0', 'debug', 'latest-debug-2']);
  });

  it('a pattern without "*" is an exact name', () => {
    expect(keeps(['team/app'], [], ['team/app', 'team/app2', 'team/app/api', 'xteam/app'])).toEqual(['team/app']);
  });

  it('an exclude wins over an include', () => {
    expect(keeps(['team/*', 'team/secret'], ['team/secret'], ['team/a', 'team/secret'])).toEqual(['team/a']);
  });

  it('treats regular-expression characters literally', () => {
    expect(keeps(['1.0+build*'], [], ['1.0+build7', '1x0+build7', '10build7'])).toEqual(['1.0+build7']);
  });

  it('keeps nothing with an empty include list', () => {
    expect(keeps([], [], ['a', 'b'])).toEqual([]);
  });
});
