import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AnalyzerError } from '../../src/errors';
import type { OsInfo } from '../../src/inventory/types';
import { osReleaseAnalyzer } from '../../src/scan/analyzers/os-release';
import { analyzerError } from './analyzer-test-helpers';

const FIXTURES = join(__dirname, '..', 'fixtures', 'os-release');

function fixture(name: string): Buffer {
  return readFileSync(join(FIXTURES, name));
}

function parseOs(path: string, data: Buffer | string): OsInfo & { rank: number } {
  const findings = osReleaseAnalyzer.parse({ path, data: Buffer.isBuffer(data) ? data : Buffer.from(data) });
  if (!findings.os) throw new Error('no os in findings');
  expect(findings.packageDb).toBeUndefined();
  return findings.os;
}

function parseError(path: string, data: Buffer | string): AnalyzerError {
  return analyzerError(() => osReleaseAnalyzer.parse({ path, data: Buffer.isBuffer(data) ? data : Buffer.from(data) }), path);
}

const alpine = (version: string, prettyName: string): OsInfo => ({ id: 'alpine', version, name: 'Alpine Linux', prettyName });
const debian = (version: string, codename: string): OsInfo => ({
  id: 'debian',
  version,
  name: 'Debian GNU/Linux',
  prettyName: `Debian GNU/Linux ${version} (${codename})`,
  versionCodename: codename,
});

/** Every os-release fixture with what it must read as; the test below checks none is missed. */
const OS_RELEASE_FIXTURES: Record<string, OsInfo> = {
  'alpine-3.10-image.os-release': alpine('3.10.4', 'Alpine Linux v3.10'),
  'alpine-3.14.os-release': alpine('3.14.9', 'Alpine Linux v3.14'),
  'alpine-3.18.9-x86_64.os-release': alpine('3.18.9', 'Alpine Linux v3.18'),
  'alpine-3.20.3-x86_64.os-release': alpine('3.20.3', 'Alpine Linux v3.20'),
  'cbl-mariner-2.0.os-release': {
    id: 'mariner',
    version: '2.0',
    name: 'Common Base Linux Mariner',
    prettyName: 'CBL-Mariner/Linux',
  },
  'debian-10.1-nginx.os-release': debian('10', 'buster'),
  'debian-10.os-release': debian('10', 'buster'),
  'debian-11.os-release': debian('11', 'bullseye'),
  'debian-12-bookworm-20241202.os-release': debian('12', 'bookworm'),
  'debian-12.os-release': debian('12', 'bookworm'),
  'rhel-8.1.os-release': {
    id: 'rhel',
    version: '8.1',
    name: 'Red Hat Enterprise Linux',
    prettyName: 'Red Hat Enterprise Linux 8.1 (Ootpa)',
    idLike: ['fedora'],
    cpe: 'cpe:/o:redhat:enterprise_linux:8.1:GA',
  },
  'sles-15.3.os-release': {
    id: 'sles',
    version: '15.3',
    name: 'SLES',
    prettyName: 'SUSE Linux Enterprise Server 15 SP3',
    idLike: ['suse'],
    cpe: 'cpe:/o:suse:sles:15:sp3',
  },
  'ubuntu-20.04.os-release': {
    id: 'ubuntu',
    version: '20.04',
    name: 'Ubuntu',
    prettyName: 'Ubuntu 20.04.4 LTS',
    versionCodename: 'focal',
    idLike: ['debian'],
  },
  'ubuntu-22.04.3.os-release': {
    id: 'ubuntu',
    version: '22.04',
    name: 'Ubuntu',
    prettyName: 'Ubuntu 22.04.3 LTS',
    versionCodename: 'jammy',
    idLike: ['debian'],
  },
};

describe('os-release analyzer: paths and ranks', () => {
  it('wants the release files and nothing else', () => {
    expect(osReleaseAnalyzer.name).toBe('os-release');
    for (const path of [
      'etc/os-release',
      'usr/lib/os-release',
      'etc/centos-release',
      'etc/redhat-release',
      'etc/alpine-release',
      'etc/lsb-release',
      'etc/debian_version',
    ]) {
      expect(osReleaseAnalyzer.wants(path)).toBe(true);
    }
    expect(osReleaseAnalyzer.wants('etc/os-release.d/x')).toBe(false);
    expect(osReleaseAnalyzer.wants('usr/etc/os-release')).toBe(false);
    expect(osReleaseAnalyzer.wants('etc/system-release-cpe')).toBe(false);
  });

  it('ranks etc/os-release first, then usr/lib/os-release, then the fallbacks', () => {
    const os = fixture('debian-12.os-release');
    expect(parseOs('etc/os-release', os).rank).toBe(0);
    expect(parseOs('usr/lib/os-release', os).rank).toBe(1);
    const ranks = [
      parseOs('etc/centos-release', 'CentOS Linux release 7.9.2009 (Core)\n').rank,
      parseOs('etc/redhat-release', 'CentOS Linux release 7.9.2009 (Core)\n').rank,
      parseOs('etc/alpine-release', fixture('alpine-3.14.alpine-release')).rank,
      parseOs('etc/lsb-release', 'DISTRIB_ID=Ubuntu\nDISTRIB_RELEASE=22.04\n').rank,
      parseOs('etc/debian_version', 'bookworm/sid\n').rank,
    ];
    expect(ranks).toEqual([2, 3, 4, 5, 6]);
  });

  it('refuses a file it did not ask for', () => {
    parseError('etc/issue', 'Debian GNU/Linux 12 \\n \\l\n');
  });
});

describe('os-release analyzer: real os-release files', () => {
  it('has an expectation for every fixture', () => {
    const files = readdirSync(FIXTURES).filter((f) => f.endsWith('.os-release'));
    expect(files.sort()).toEqual(Object.keys(OS_RELEASE_FIXTURES).sort());
  });

  it.each(Object.entries(OS_RELEASE_FIXTURES))('%s', (file, expected) => {
    expect(parseOs('etc/os-release', fixture(file))).toEqual({ ...expected, rank: 0 });
  });

  it('reads Debian 8 from usr/lib/os-release of a real layer', () => {
    expect(parseOs('usr/lib/os-release', fixture('debian-8-dockergoof.usr-lib-os-release'))).toEqual({
      id: 'debian',
      version: '8',
      name: 'Debian GNU/Linux',
      prettyName: 'Debian GNU/Linux 8 (jessie)',
      rank: 1,
    });
  });

  it('reads CRLF line ends the same as LF', () => {
    const lf = fixture('ubuntu-20.04.os-release').toString('utf8');
    expect(parseOs('etc/os-release', lf.replace(/\n/g, '\r\n'))).toEqual(parseOs('etc/os-release', lf));
  });
});

describe('os-release analyzer: shell syntax', () => {
  it('handles quotes, escapes, concatenation, comments and continuations', () => {
    const text = [
      '# written by hand',
      '   # indented comment',
      '',
      `NAME='Single "quoted" \\n kept'`,
      'PRETTY_NAME="Escaped \\"quote\\" \\$HOME \\\\ \\`tick\\` and \\x"',
      `VERSION_ID="1"'.2'.3`,
      'ID=Foo\\-Linux # trailing comment',
      'ID_LIKE="RHEL   centos',
      ' fedora"',
      'VERSION_CODENAME=long\\',
      'name',
      'CPE_NAME=cpe:/o:foo:linux:1 beta',
      'VERSION_ID=1.2.3',
    ].join('\n');
    expect(parseOs('etc/os-release', text)).toEqual({
      id: 'foo-linux',
      version: '1.2.3',
      name: 'Single "quoted" \\n kept',
      prettyName: 'Escaped "quote" $HOME \\ `tick` and \\x',
      versionCodename: 'longname',
      idLike: ['rhel', 'centos', 'fedora'],
      cpe: 'cpe:/o:foo:linux:1 beta',
      rank: 0,
    });
  });

  it('reads a file without a final newline', () => {
    expect(parseOs('etc/os-release', 'ID=alpine\nVERSION_ID=3.21.0').version).toBe('3.21.0');
  });

  it('falls back to the codename when a rolling release has no VERSION_ID', () => {
    const sid = 'PRETTY_NAME="Debian GNU/Linux trixie/sid"\nNAME="Debian GNU/Linux"\nVERSION_CODENAME=trixie\nID=debian\n';
    expect(parseOs('etc/os-release', sid)).toMatchObject({ id: 'debian', version: 'trixie', versionCodename: 'trixie' });
  });

  it('uses the documented default ID "linux" when only VERSION_ID is set', () => {
    expect(parseOs('etc/os-release', 'VERSION_ID=1.0\n')).toEqual({ id: 'linux', version: '1.0', rank: 0 });
  });

  it('keeps an ID whose release has no version at all', () => {
    expect(parseOs('etc/os-release', 'ID=arch\nBUILD_ID=rolling\n')).toEqual({ id: 'arch', version: '', rank: 0 });
  });
});

describe('os-release analyzer: fallback files', () => {
  it.each([
    ['etc/redhat-release', 'Red Hat Enterprise Linux release 8.0 (Ootpa)', 'rhel', '8.0', 'Red Hat Enterprise Linux'],
    ['etc/redhat-release', 'Red Hat Enterprise Linux Server release 7.9 (Maipo)', 'rhel', '7.9', 'Red Hat Enterprise Linux Server'],
    ['etc/centos-release', 'CentOS release 6.10 (Final)', 'centos', '6.10', 'CentOS'],
    ['etc/centos-release', 'CentOS Stream release 8', 'centos', '8', 'CentOS Stream'],
    ['etc/redhat-release', 'Fedora release 38 (Thirty Eight)', 'fedora', '38', 'Fedora'],
    ['etc/redhat-release', 'Rocky Linux release 8.8 (Green Obsidian)', 'rocky', '8.8', 'Rocky Linux'],
  ])('%s "%s"', (path, text, id, version, name) => {
    expect(parseOs(path, `${text}\n`)).toMatchObject({ id, version, name, prettyName: text });
  });

  it('reads alpine-release files of real Alpine layers', () => {
    expect(parseOs('etc/alpine-release', fixture('alpine-3.10-image.alpine-release'))).toEqual({
      id: 'alpine',
      version: '3.10.4',
      rank: 4,
    });
    expect(parseOs('etc/alpine-release', fixture('alpine-3.14.alpine-release')).version).toBe('3.14.9');
  });

  it('reads lsb-release with the os-release syntax', () => {
    const text = 'DISTRIB_ID=Ubuntu\nDISTRIB_RELEASE=22.04\nDISTRIB_CODENAME=jammy\nDISTRIB_DESCRIPTION="Ubuntu 22.04.3 LTS"\n';
    expect(parseOs('etc/lsb-release', text)).toEqual({
      id: 'ubuntu',
      version: '22.04',
      versionCodename: 'jammy',
      prettyName: 'Ubuntu 22.04.3 LTS',
      rank: 5,
    });
  });

  it('reads a Debian point release and a testing/unstable codename from debian_version', () => {
    expect(parseOs('etc/debian_version', '10.1\n')).toEqual({ id: 'debian', version: '10.1', rank: 6 });
    expect(parseOs('etc/debian_version', 'bookworm/sid\n')).toEqual({
      id: 'debian',
      version: 'bookworm',
      versionCodename: 'bookworm',
      rank: 6,
    });
  });
});

describe('os-release analyzer: garbage fails with the file', () => {
  it('rejects binary data in any release file', () => {
    const binary = Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0x49, 0x44, 0x3d, 0x78]);
    expect(parseError('etc/os-release', binary).message).toContain('not text: control character on line 1');
    expect(parseError('etc/debian_version', binary).message).toContain('not text');
  });

  it('rejects an os-release that yields neither ID nor version', () => {
    expect(parseError('etc/os-release', '').message).toContain('neither ID nor VERSION_ID');
    expect(parseError('usr/lib/os-release', '# only a comment\nNAME="Linux"\n').message).toContain('neither ID nor VERSION_ID');
    expect(parseError('etc/os-release', 'ID=""\nVERSION_ID=\n').message).toContain('neither ID nor VERSION_ID');
  });

  it('rejects lines that are not assignments, naming the line', () => {
    expect(parseError('etc/os-release', 'ID=debian\nhello world\n').message).toContain('line 2 is not a KEY=value assignment');
    expect(parseError('etc/os-release', 'ID=debian\n1ID=x\n').message).toContain('line 2 is not');
  });

  it('rejects unterminated quotes', () => {
    expect(parseError('etc/os-release', 'ID=debian\nNAME="Debian\n').message).toContain('unterminated double quote on line 2');
    expect(parseError('etc/lsb-release', "DISTRIB_ID='Ubuntu\n").message).toContain('unterminated single quote on line 1');
  });

  it('rejects fallback files it cannot read', () => {
    expect(parseError('etc/redhat-release', '').message).toContain('file is empty');
    expect(parseError('etc/redhat-release', 'Foo Linux release 1.0 (Bar)\n').message).toContain('unknown distribution "Foo Linux"');
    expect(parseError('etc/centos-release', 'CentOS Linux\n').message).toContain('not a "<distribution> release <version>" line');
    expect(parseError('etc/alpine-release', 'edge\n').message).toContain('not an Alpine version: "edge"');
    expect(parseError('etc/debian_version', 'hello world\n').message).toContain('not a Debian version');
    expect(parseError('etc/lsb-release', 'DISTRIB_RELEASE=22.04\n').message).toContain('DISTRIB_ID is not set');
  });
});
