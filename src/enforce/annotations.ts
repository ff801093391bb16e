import type { StoredVerdict } from '../store/verdicts';
import type { Severity } from '../vuln/advisory';

/** Makes OpenShift refuse pods whose image resolves to the annotated Image (with an ImagePolicyConfig executionRule). */
export const DENY_EXECUTION = 'images.openshift.io/deny-execution';
/** Which enforce-mode policies failed, for whoever reads the Image object (`oc describe image`). */
export const FAILED_POLICIES = 'security.imagewarden.io/failed-policies';
/** The image-quality annotation of OpenShift's image metadata convention, one per provider. */
export const VULNERABILITY = 'quality.images.openshift.io/vulnerability.imagewarden';

export const OWNED_ANNOTATIONS = [DENY_EXECUTION, FAILED_POLICIES, VULNERABILITY] as const;

/** Annotation values to reach: a string is set, null removed; a key not listed is left as it is. */
export type AnnotationChanges = Record<string, string | null>;

export interface AnnotationInputs {
  reference: string;
  verdict: StoredVerdict;
  enforceUnknown: boolean;
  scannerVersion: string;
  now: Date;
}

/** What the Image should carry for this verdict. */
export function wantedAnnotations(input: AnnotationInputs): AnnotationChanges {
  const { verdict } = input;
  const failed = verdict.failedPolicies.filter((p) => p.enforcement === 'enforce').map((p) => p.name);
  const wanted: AnnotationChanges = { [VULNERABILITY]: vulnerabilityAnnotation(input) };
  if (verdict.state === 'non-compliant' || (verdict.state === 'unknown' && input.enforceUnknown)) {
    wanted[DENY_EXECUTION] = 'true';
    wanted[FAILED_POLICIES] = failed.length ? failed.join(',') : null;
  } else if (verdict.state === 'compliant') {
    wanted[DENY_EXECUTION] = null;
    wanted[FAILED_POLICIES] = null;
  }
  // Unknown without enforceUnknown leaves the deny decision as it stands: a scan that failed
  // today neither condemns an image nor releases one denied on earlier evidence.
  return wanted;
}

const SEVERITY_INDEX: [Exclude<Severity, 'Unknown'>, number][] = [
  ['Critical', 3],
  ['High', 2],
  ['Medium', 1],
  ['Low', 0],
];

/**
 * `quality.images.openshift.io/vulnerability.<provider>` as OpenShift's image-metadata convention
 * (and ManageIQ) writes it: a JSON string with the scanner, the time, the verdict and a summary
 * of counts by severity (severityIndex 0 low … 3 critical).
 */
function vulnerabilityAnnotation(input: AnnotationInputs): string {
  const { verdict } = input;
  return JSON.stringify({
    name: 'imagewarden',
    timestamp: input.now.toISOString(),
    description: describeVerdict(verdict),
    reference: input.reference,
    scannerVersion: input.scannerVersion,
    compliant: verdict.state === 'compliant',
    summary: verdict.summary ? SEVERITY_INDEX.map(([severity, severityIndex]) => ({ label: severity.toLowerCase(), severityIndex, data: verdict.summary![severity] })) : [],
  });
}

function describeVerdict(verdict: StoredVerdict): string {
  if (verdict.state === 'unknown') return `not assessed: ${verdict.reason ?? 'no verdict could be reached'}`;
  const enforced = verdict.failedPolicies.filter((p) => p.enforcement === 'enforce').map((p) => p.name);
  if (verdict.state === 'non-compliant') return `non-compliant: ${enforced.join(', ')}`;
  const informed = verdict.failedPolicies.map((p) => p.name);
  return informed.length ? `compliant (informational: ${informed.join(', ')})` : 'compliant';
}

/**
 * The keys whose live value differs from the wanted one. The vulnerability annotation's
 * timestamp alone is not a difference, and a deny annotation of "false" already allows.
 */
export function annotationDiff(live: Record<string, string> | undefined, wanted: AnnotationChanges): AnnotationChanges {
  const diff: AnnotationChanges = {};
  for (const [key, value] of Object.entries(wanted)) {
    if (!sameValue(key, live?.[key], value)) diff[key] = value;
  }
  return diff;
}

function sameValue(key: string, live: string | undefined, wanted: string | null): boolean {
  if (wanted === null) return live === undefined || (key === DENY_EXECUTION && live === 'false');
  if (live === undefined) return false;
  if (key === VULNERABILITY) {
    const liveBody = withoutTimestamp(live);
    return liveBody !== undefined && liveBody === withoutTimestamp(wanted);
  }
  return live === wanted;
}

function withoutTimestamp(json: string): string | undefined {
  try {
    const { timestamp: _ignored, ...rest } = JSON.parse(json) as Record<string, unknown>;
    return JSON.stringify(rest);
  } catch {
    return undefined;
  }
}

/** imagewarden's annotations on the Image once `changes` are applied over `live`. */
export function ownedAfter(live: Record<string, string> | undefined, changes: AnnotationChanges): Record<string, string> {
  const result: Record<string, string> = {};
  for (const key of OWNED_ANNOTATIONS) {
    const value = key in changes ? changes[key] : live?.[key];
    if (typeof value === 'string') result[key] = value;
  }
  return result;
}
