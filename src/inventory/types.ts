/** What a scan learns about an image: its OS, its OS packages and what its config says. */

export type Ecosystem = 'dpkg' | 'rpm' | 'apk';

export interface OsInfo {
  /** os-release ID, lower case: debian, ubuntu, alpine, rhel, centos, fedora, sles, mariner… */
  id: string;
  /** VERSION_ID (alpine: the full 3.10.4 as in alpine-release). */
  version: string;
  name?: string;
  prettyName?: string;
  versionCodename?: string;
  idLike?: string[];
  cpe?: string;
}

export interface Package {
  ecosystem: Ecosystem;
  name: string;
  /**
   * The version as the ecosystem writes it in full: dpkg `[epoch:]upstream[-revision]`,
   * rpm `[epoch:]version-release`, apk `version-rN`.
   */
  version: string;
  /** rpm only: the parts of the EVR, kept apart for exact comparison. */
  epoch?: number;
  upstreamVersion?: string;
  release?: string;
  arch?: string;
  /** dpkg source package, apk origin, rpm source rpm name. */
  source?: string;
  /** dpkg source version (the binary's when no `Source:` names another); rpm source rpm file name. */
  sourceVersion?: string;
  vendor?: string;
  /**
   * rpm only: the OpenPGP key id (16 lower-case hex digits) of the signature rpm checks the
   * header with; absent for an unsigned package. Red Hat OVAL makes "signed by this key" part
   * of what makes a package vulnerable.
   */
  signatureKeyId?: string;
}

/** One package database that contributed to the inventory, and where it was found. */
export interface PackageDatabase {
  ecosystem: Ecosystem;
  path: string;
  layer: string;
  format: string;
  packages: number;
}

export interface ImageConfigSummary {
  user?: string;
  labels: Record<string, string>;
  created?: string;
  architecture?: string;
  os?: string;
  variant?: string;
  env: string[];
  entrypoint?: string[];
  cmd?: string[];
  exposedPorts: string[];
  workingDir?: string;
}

export interface Inventory {
  os: OsInfo | null;
  packages: Package[];
  packageDatabases: PackageDatabase[];
  config: ImageConfigSummary;
  layers: string[];
  /** Things the scan could not settle but that do not invalidate it (e.g. a dangling os-release link). */
  warnings: string[];
}

/** What policies read of an inventory: a re-assessment loads only this. */
export type AssessedInventory = Pick<Inventory, 'os' | 'packages' | 'config'>;
