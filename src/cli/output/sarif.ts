import { createHash } from 'node:crypto';
import type { Enforcement, PolicySeverity } from '../../policy/rule';
import type { CheckFailure, CheckPolicy, CheckReport } from './check-report';

export const SARIF_SCHEMA_URI = 'https://json.schemastore.org/sarif-2.1.0.json';

export interface SarifTool {
  version: string;
  /** Where users read about the tool; left out of the log when the build does not know one. */
  informationUri?: string;
}

/**
 * GitHub code scanning ranks alerts by this score (a string holding a number in 0.0–10.0) and
 * shows it only for rules tagged "security"; the values sit inside its Critical/High/Medium/Low bands.
 */
const SECURITY_SEVERITY: Record<PolicySeverity, string> = { Critical: '9.5', High: '8.0', Medium: '5.5', Low: '2.0' };

const LEVEL: Record<Enforcement, 'error' | 'warning'> = { enforce: 'error', inform: 'warning' };

const FINGERPRINT_KEY = 'imagewardenViolation/v1';

interface PolicyEntry {
  name: string;
  rule: string;
  severity: PolicySeverity;
  enforcement: Enforcement;
  /** Present for failed policies only: the report carries descriptions for those alone. */
  failed?: CheckPolicy;
}

/** The SARIF 2.1.0 log of one `check`: a rule per evaluated policy, a result per violation of a failed one. */
export function toSarif(report: CheckReport | CheckFailure, tool: SarifTool): object {
  return wellFormedStrings({
    $schema: SARIF_SCHEMA_URI,
    version: '2.1.0',
    runs: [report.verdict === 'unknown' ? failedRun(report, tool) : assessedRun(report, tool)],
  });
}

function driver(tool: SarifTool, rules: object[]): object {
  return {
    name: 'imagewarden',
    ...(tool.informationUri !== undefined ? { informationUri: tool.informationUri } : {}),
    version: tool.version,
    rules,
  };
}

function assessedRun(report: CheckReport, tool: SarifTool): object {
  const entries = policyEntries(report);
  const ids = ruleIds(entries.map((e) => e.name));
  const location = imageLocation(report);
  const results = entries.flatMap((entry, ruleIndex) =>
    (entry.failed?.violations ?? []).map((violation) => ({
      ruleId: ids[ruleIndex],
      ruleIndex,
      level: LEVEL[entry.enforcement],
      message: { text: violation },
      locations: [location],
      partialFingerprints: { [FINGERPRINT_KEY]: fingerprint(entry.name, violation, report.digest) },
    })),
  );
  return {
    tool: { driver: driver(tool, entries.map((e, i) => ruleDescriptor(e, ids[i]))) },
    invocations: [{ executionSuccessful: true }],
    results,
    properties: { image: report.image, digest: report.digest, verdict: report.verdict, compliant: report.compliant },
  };
}

/**
 * No `results` at all: SARIF reads an absent results array as "the tool produced none",
 * whereas an empty one would claim the image was checked and nothing was found.
 */
function failedRun(failure: CheckFailure, tool: SarifTool): object {
  return {
    tool: { driver: driver(tool, []) },
    invocations: [
      {
        executionSuccessful: false,
        toolExecutionNotifications: [
          {
            level: 'error',
            message: { text: failure.error.message },
            properties: { kind: failure.error.kind, context: failure.error.context },
          },
        ],
      },
    ],
    properties: { image: failure.image, digest: null, verdict: failure.verdict, compliant: failure.compliant },
  };
}

/**
 * Every evaluated policy once (rule ids must be unique); a failed one the evaluated list misses
 * is kept rather than dropped with its violations.
 */
function policyEntries(report: CheckReport): PolicyEntry[] {
  const failed = new Map(report.policies.map((p) => [p.name, p]));
  const entries = new Map<string, PolicyEntry>();
  for (const e of [...report.evaluated, ...report.policies]) {
    if (!entries.has(e.name)) {
      entries.set(e.name, { name: e.name, rule: e.rule, severity: e.severity, enforcement: e.enforcement, failed: failed.get(e.name) });
    }
  }
  return [...entries.values()];
}

function ruleDescriptor(entry: PolicyEntry, id: string): object {
  const p = entry.failed;
  return {
    id,
    name: entry.name,
    ...(p && p.description !== '' ? { shortDescription: { text: p.description } } : {}),
    ...(p && (p.description !== '' || p.rationale !== '')
      ? { fullDescription: { text: [p.description, p.rationale].filter((s) => s !== '').join('\n\n') } }
      : {}),
    ...(p && (p.rationale !== '' || p.remediation !== '') ? { help: help(p) } : {}),
    defaultConfiguration: { level: LEVEL[entry.enforcement] },
    properties: {
      rule: entry.rule,
      enforcement: entry.enforcement,
      severity: entry.severity,
      'security-severity': SECURITY_SEVERITY[entry.severity],
      tags: ['security', 'container-image', 'policy'],
    },
  };
}

function help(p: CheckPolicy): { text: string; markdown: string } {
  const parts: [string, string][] = [];
  if (p.rationale !== '') parts.push(['Rationale', p.rationale]);
  if (p.remediation !== '') parts.push(['Remediation', p.remediation]);
  return {
    text: parts.map(([label, text]) => `${label}: ${text}`).join('\n\n'),
    markdown: parts.map(([label, text]) => `**${label}:** ${text}`).join('\n\n'),
  };
}

/**
 * Rule ids must stay the same from run to run for code scanning to match alerts, so they derive
 * from the policy name alone. Names that slug to nothing or to the same slug get a hash suffix.
 */
function ruleIds(names: readonly string[]): string[] {
  const bySlug = new Map<string, Set<string>>();
  for (const name of names) {
    const slug = slugify(name);
    bySlug.set(slug, (bySlug.get(slug) ?? new Set()).add(name));
  }
  return names.map((name) => {
    const slug = slugify(name);
    const shared = slug === '' || (bySlug.get(slug)?.size ?? 0) > 1;
    return shared ? `${slug || 'policy'}-${sha256(name).slice(0, 8)}` : slug;
  });
}

function slugify(name: string): string {
  return name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
}

function fingerprint(policy: string, violation: string, digest: string): string {
  return sha256(`${policy}\u0000${violation}\u0000${digest}`);
}

function sha256(text: string): string {
  return createHash('sha256').update(wellFormed(text), 'utf8').digest('hex');
}

/**
 * The image as code scanning sees it: a logical location naming exactly what was assessed, and
 * the physical location GitHub insists on. The artifact path leaves out tag and digest so that
 * the alerts of one repository stay on one path from build to build.
 */
function imageLocation(report: CheckReport): object {
  const name = withoutTagOrDigest(report.image);
  return {
    physicalLocation: { artifactLocation: { uri: relativeUri(name === '' ? report.digest : name) }, region: { startLine: 1 } },
    logicalLocations: [{ name: report.image, fullyQualifiedName: `${withoutDigest(report.image)}@${report.digest}`, kind: 'module' }],
  };
}

function withoutDigest(image: string): string {
  const at = image.indexOf('@');
  return at < 0 ? image : image.slice(0, at);
}

function withoutTagOrDigest(image: string): string {
  const name = withoutDigest(image);
  const colon = name.lastIndexOf(':');
  return colon > name.lastIndexOf('/') ? name.slice(0, colon) : name;
}

/**
 * A relative URI reference (RFC 3986 §4.2): each path segment percent-encoded, and a "./" in
 * front when the first segment holds a colon (a registry port), which would otherwise read as a scheme.
 */
function relativeUri(path: string): string {
  const segments = path.split('/').map((s) => encodeURIComponent(wellFormed(s)).replace(/%3A/g, ':').replace(/%40/g, '@'));
  return segments[0].includes(':') ? `./${segments.join('/')}` : segments.join('/');
}

/**
 * JSON.stringify writes a lone surrogate as a "\udXXX" escape, which strict readers (serde_json,
 * for one) reject outright; registry-supplied strings can hold them.
 */
function wellFormedStrings<T>(value: T): T {
  if (typeof value === 'string') return wellFormed(value) as T;
  if (Array.isArray(value)) return value.map(wellFormedStrings) as T;
  if (value !== null && typeof value === 'object' && [Object.prototype, null].includes(Object.getPrototypeOf(value))) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [wellFormed(k), wellFormedStrings(v)])) as T;
  }
  return value;
}

/** Lone surrogates cannot be encoded as UTF-8; registries can still send them. */
function wellFormed(text: string): string {
  return text.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD');
}
