import type { Cvss, Severity } from '../advisory';

/** A vendor's rating turned into imagewarden's scale, with the vendor's own words kept. */
export interface SeverityRating {
  severity: Severity;
  vendorSeverity?: string;
}

const RED_HAT: Record<string, Severity> = {
  critical: 'Critical',
  important: 'High',
  moderate: 'Medium',
  low: 'Low',
};

/**
 * Debian urgencies. `unimportant` is a real triage result (no security impact worth a fix), so
 * it ranks Low rather than Unknown; `not yet assigned` and `end-of-life` say nothing about the
 * flaw itself and stay Unknown.
 */
const DEBIAN: Record<string, Severity> = {
  high: 'High',
  medium: 'Medium',
  low: 'Low',
  unimportant: 'Low',
};

/** Ubuntu priorities; `negligible` is Ubuntu's rank below low, so it is Low on our scale. */
const UBUNTU: Record<string, Severity> = {
  critical: 'Critical',
  high: 'High',
  medium: 'Medium',
  low: 'Low',
  negligible: 'Low',
};

function rate(table: Record<string, Severity>, key: string, vendorSeverity: string): SeverityRating {
  return { severity: table[key] ?? 'Unknown', vendorSeverity };
}

/** Red Hat's impact: critical / important / moderate / low. */
export function redHatSeverity(label: string): SeverityRating {
  const trimmed = label.trim();
  return rate(RED_HAT, trimmed.toLowerCase(), trimmed);
}

/**
 * A Debian tracker urgency such as `high`, `low**` or `not yet assigned`. The tracker appends
 * asterisks to urgencies it did not set from its own triage; they do not change the rank but
 * are kept in the vendor label.
 */
export function debianUrgencySeverity(urgency: string): SeverityRating {
  const trimmed = urgency.trim();
  return rate(DEBIAN, trimmed.replace(/\*+$/, '').toLowerCase(), `urgency ${trimmed}`);
}

/** An Ubuntu priority: critical / high / medium / low / negligible (untriaged stays Unknown). */
export function ubuntuPrioritySeverity(priority: string): SeverityRating {
  const trimmed = priority.trim();
  return rate(UBUNTU, trimmed.toLowerCase(), `priority ${trimmed}`);
}

/** The CVSS qualitative rating of a base score (the same bands in v2 usage, v3 and v4). */
export function severityOfScore(score: number): Severity {
  if (score >= 9) return 'Critical';
  if (score >= 7) return 'High';
  if (score >= 4) return 'Medium';
  if (score > 0) return 'Low';
  return 'Unknown';
}

export function cvssRating(cvss: Cvss): SeverityRating {
  if (cvss.score === undefined) return { severity: 'Unknown' };
  return { severity: severityOfScore(cvss.score), vendorSeverity: `CVSS:${cvss.version} ${cvss.score.toFixed(1)}` };
}

const ATTACK_VECTOR: Record<string, number> = { N: 0.85, A: 0.62, L: 0.55, P: 0.2 };
const ATTACK_COMPLEXITY: Record<string, number> = { L: 0.77, H: 0.44 };
const USER_INTERACTION: Record<string, number> = { N: 0.85, R: 0.62 };
const IMPACT: Record<string, number> = { H: 0.56, L: 0.22, N: 0 };
/** Privileges required weigh more when the scope changes (the spec's PR table). */
const PRIVILEGES: Record<string, { unchanged: number; changed: number }> = {
  N: { unchanged: 0.85, changed: 0.85 },
  L: { unchanged: 0.62, changed: 0.68 },
  H: { unchanged: 0.27, changed: 0.5 },
};
const BASE_METRICS = ['AV', 'AC', 'PR', 'UI', 'S', 'C', 'I', 'A'] as const;
/** Temporal and environmental metrics may follow the base ones; they do not enter the base score. */
const OTHER_METRICS = new Set(['E', 'RL', 'RC', 'CR', 'IR', 'AR', 'MAV', 'MAC', 'MPR', 'MUI', 'MS', 'MC', 'MI', 'MA']);

/**
 * The base score of a CVSS v3.0 or v3.1 vector, computed with the specification's formulas
 * (v3.1 §7.1 and Appendix A for its rounding). Throws an Error naming the first defect of a
 * vector that is not a well-formed v3 base vector.
 */
export function cvssV3BaseScore(vector: string): Cvss {
  const parts = vector.trim().split('/');
  const prefix = /^CVSS:(3\.[01])$/.exec(parts[0] ?? '');
  if (!prefix) throw new Error(`not a CVSS v3 vector: ${JSON.stringify(vector)}`);
  const version = prefix[1];
  const metrics = new Map<string, string>();
  for (const part of parts.slice(1)) {
    const [name, value, extra] = part.split(':');
    if (!name || value === undefined || extra !== undefined) throw new Error(`malformed CVSS metric ${JSON.stringify(part)} in ${vector}`);
    if (metrics.has(name)) throw new Error(`CVSS metric ${name} given twice in ${vector}`);
    if (!(BASE_METRICS as readonly string[]).includes(name) && !OTHER_METRICS.has(name)) {
      throw new Error(`unknown CVSS metric ${name} in ${vector}`);
    }
    metrics.set(name, value);
  }
  const pick = (name: (typeof BASE_METRICS)[number]): string => {
    const value = metrics.get(name);
    if (value === undefined) throw new Error(`CVSS base metric ${name} missing in ${vector}`);
    return value;
  };
  const weight = (table: Record<string, number>, name: (typeof BASE_METRICS)[number]): number => {
    const value = pick(name);
    const w = table[value];
    if (w === undefined) throw new Error(`CVSS metric ${name}:${value} is not defined (${vector})`);
    return w;
  };
  const scope = pick('S');
  if (scope !== 'U' && scope !== 'C') throw new Error(`CVSS metric S:${scope} is not defined (${vector})`);
  const changed = scope === 'C';
  const privileges = PRIVILEGES[pick('PR')];
  if (!privileges) throw new Error(`CVSS metric PR:${pick('PR')} is not defined (${vector})`);

  const iss = 1 - (1 - weight(IMPACT, 'C')) * (1 - weight(IMPACT, 'I')) * (1 - weight(IMPACT, 'A'));
  const impact = changed ? 7.52 * (iss - 0.029) - 3.25 * Math.pow(iss - 0.02, 15) : 6.42 * iss;
  const exploitability =
    8.22 *
    weight(ATTACK_VECTOR, 'AV') *
    weight(ATTACK_COMPLEXITY, 'AC') *
    (changed ? privileges.changed : privileges.unchanged) *
    weight(USER_INTERACTION, 'UI');
  const roundUp = version === '3.0' ? roundUpV30 : roundUpV31;
  const score =
    impact <= 0 ? 0 : roundUp(Math.min(changed ? 1.08 * (impact + exploitability) : impact + exploitability, 10));
  return { version, vector: vector.trim(), score };
}

/** v3.0 rounds up to one decimal directly, floating-point error included. */
function roundUpV30(value: number): number {
  return Math.ceil(value * 10) / 10;
}

/** v3.1 Appendix A: round up on an integer scale so that e.g. 4.000000000000001 stays 4.0. */
function roundUpV31(value: number): number {
  const scaled = Math.round(value * 100000);
  return scaled % 10000 === 0 ? scaled / 100000 : (Math.floor(scaled / 10000) + 1) / 10;
}
