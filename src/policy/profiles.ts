import type { PolicyConfig } from './evaluate';

export type ProfileName = 'default' | 'hardened';

/**
 * The built-in policy sets. `default` fails images only on fixable Critical and High
 * vulnerabilities, as ManageIQ marked images with high-severity failures non-compliant;
 * `hardened` fails on any vulnerability and on root, `latest` and reports package managers.
 */
export const PROFILES: Record<ProfileName, readonly PolicyConfig[]> = {
  default: [
    { name: 'Fixable Critical and High vulnerabilities', rule: 'vulnerabilities', enforcement: 'enforce', severity: 'High', fixableOnly: true },
  ],
  hardened: [
    { name: 'Vulnerabilities', rule: 'vulnerabilities', enforcement: 'enforce', severity: 'Unknown', fixableOnly: false },
    { name: 'Root user', rule: 'root-user', enforcement: 'enforce' },
    { name: 'Latest tag', rule: 'latest-tag', enforcement: 'enforce' },
    { name: 'Package manager in image', rule: 'package-manager', enforcement: 'inform' },
  ],
};
