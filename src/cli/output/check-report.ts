import type { ImageConfigSummary, PackageDatabase } from '../../inventory/types';
import type { Enforcement, PolicySeverity } from '../../policy/rule';
import type { FailedPolicy } from '../../policy/verdict';
import type { Severity } from '../../vuln/advisory';

/** What `check IMAGE` found, as `--json` prints it (DESIGN.md's shape, grown); SARIF and JUnit are views of it. */
export interface CheckReport {
  image: string;
  digest: string;
  platform: string | null;
  os: { id: string; version: string; name: string | null } | null;
  packages: { name: string; version: string; source?: string; sourceVersion?: string; arch?: string; ecosystem: string }[];
  packageDatabases: PackageDatabase[];
  config: ImageConfigSummary;
  warnings: string[];
  coverage: { namespaces: string[]; covered: boolean };
  /** Null when no imported feed covers the OS: nothing was checked, which is not "none found". */
  vulnerabilities: CheckVulnerability[] | null;
  notAffected: { advisoryId: string; package: string; installed: string; feed: string }[] | null;
  alreadyFixed: { id: string; package: string; installed: string; fixed: string; feed: string }[] | null;
  ignored: { id: string; package: string; reason: string; expires: string | null }[];
  expiredIgnores: { id: string; package: string; reason: string; expired: string | undefined }[];
  /** The failed policies, as roxctl lists them. */
  policies: CheckPolicy[];
  /** Every policy evaluated for this image, passing or not. */
  evaluated: { name: string; rule: string; severity: PolicySeverity; enforcement: Enforcement; passed: boolean }[];
  verdict: 'compliant' | 'non-compliant';
  compliant: boolean;
}

export interface CheckVulnerability {
  id: string;
  aliases?: string[];
  package: string;
  installed: string;
  fixed?: string;
  state: string;
  severity: Severity;
  vendorSeverity?: string;
  cvss?: number;
  feed: string;
}

/** A failed policy, as roxctl lists it. */
export type CheckPolicy = FailedPolicy;

/** A check that could not assess the image: its verdict is `unknown`, the exit code 2. */
export interface CheckFailure {
  image: string;
  verdict: 'unknown';
  compliant: false;
  error: { kind: string; message: string; context: Record<string, unknown> };
}
