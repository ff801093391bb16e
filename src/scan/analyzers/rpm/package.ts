import { AnalyzerError } from '../../../errors';
import type { Package } from '../../../inventory/types';
import type { RpmHeader } from './header';
import { signatureKeyId } from './signature';

/** rpm tag numbers (rpmTag) of the fields an inventory keeps. */
const TAG = {
  name: 1000,
  version: 1001,
  release: 1002,
  epoch: 1003,
  vendor: 1011,
  arch: 1022,
  sourceRpm: 1044,
} as const;

/**
 * The signature tags of an installed header (the signature header's tags as rpm merges them in:
 * RPMSIGTAG_PGP 1002 becomes SIGPGP 259, RPMSIGTAG_GPG 1005 becomes SIGGPG 262), in the order of
 * the usual `%|DSAHEADER?{…}:{%|RSAHEADER?…|}|` query: header-only signatures first, since newer
 * packages carry no header-and-payload one. OpenSCAP 1.3's rpminfo probe reads only SIGGPG and
 * SIGPGP; where a package has both kinds (RHEL 8 and older) they name the same key.
 */
const SIGNATURE_TAGS = [
  267, // DSAHEADER
  268, // RSAHEADER
  262, // SIGGPG
  259, // SIGPGP
] as const;

// The file name rpmbuild gives a source package: NAME-VERSION-RELEASE.src.rpm (.nosrc.rpm for
// packages whose sources are not shipped). NAME may contain hyphens; VERSION and RELEASE may not.
const SOURCE_RPM = /^(.+)-[^-]+-[^-]+\.(?:no)?src\.rpm$/;

function signingKey(header: RpmHeader): string | undefined {
  for (const tag of SIGNATURE_TAGS) {
    const data = header.binary(tag);
    if (data) return signatureKeyId(data, tag);
  }
  return undefined;
}

function required(header: RpmHeader, tag: number, label: string): string {
  const value = header.string(tag);
  if (value === undefined || value === '') throw new AnalyzerError(`header blob: no ${label} (tag ${tag})`);
  return value;
}

/**
 * The inventory entry for one header. Imported signing keys (`gpg-pubkey`) are kept, as
 * `rpm -qa` lists them: which keys an image trusts is part of what it is.
 */
export function packageFromHeader(header: RpmHeader): Package {
  const name = required(header, TAG.name, 'NAME');
  const upstreamVersion = required(header, TAG.version, 'VERSION');
  const release = required(header, TAG.release, 'RELEASE');
  const epoch = header.int32(TAG.epoch);
  if (epoch !== undefined && epoch < 0) throw new AnalyzerError(`header blob: negative EPOCH ${epoch} for ${name}`);

  const pkg: Package = {
    ecosystem: 'rpm',
    name,
    version: `${epoch === undefined ? '' : `${epoch}:`}${upstreamVersion}-${release}`,
    upstreamVersion,
    release,
  };
  if (epoch !== undefined) pkg.epoch = epoch;
  const arch = header.string(TAG.arch);
  if (arch) pkg.arch = arch;
  const sourceRpm = header.string(TAG.sourceRpm);
  if (sourceRpm) {
    pkg.sourceVersion = sourceRpm;
    const sourceName = SOURCE_RPM.exec(sourceRpm)?.[1];
    if (sourceName) pkg.source = sourceName;
  }
  const vendor = header.string(TAG.vendor);
  if (vendor) pkg.vendor = vendor;
  const keyId = signingKey(header);
  if (keyId) pkg.signatureKeyId = keyId;
  return pkg;
}
