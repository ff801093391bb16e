import { z } from 'zod';
import { formatPath } from '../config/path';
import { ConfigError } from '../errors';
import { parseImagePattern, type ImagePattern } from './patterns';
import { PROFILES, type ProfileName } from './profiles';
import type { Enforcement, PolicyResult, PolicySeverity, PolicySubject, Violation } from './rule';
import { RULES } from './rules';

export interface PolicyScope {
  /** Names of configured sources. */
  sources?: string[];
  /** OpenShift namespaces. */
  namespaces?: string[];
  /** Image patterns, as in allowed registries. */
  repositories?: string[];
}

export interface PolicyConfig {
  name: string;
  rule: string;
  enforcement: Enforcement;
  description?: string;
  rationale?: string;
  remediation?: string;
  /**
   * The policy's own severity. For the `vulnerabilities` rule the key is its option instead (the
   * finding severity threshold), and the policy keeps the rule's default severity.
   */
  severity?: string;
  scope?: PolicyScope;
  /** Rule options: the remaining keys. */
  [option: string]: unknown;
}

export interface AllowedRegistries {
  cluster: string[];
  namespaces: Record<string, string[]>;
}

export interface ResolvedPolicy {
  name: string;
  rule: string;
  enforcement: Enforcement;
  severity: PolicySeverity;
  description: string;
  rationale: string;
  remediation: string;
  scope: { sources?: Set<string>; namespaces?: Set<string>; repositories?: ImagePattern[] };
  check(subject: PolicySubject): Violation[];
}

const policySeverity = z.enum(['Critical', 'High', 'Medium', 'Low']);

const common = z.object({
  name: z.string().min(1),
  rule: z.string().min(1),
  enforcement: z.enum(['inform', 'enforce']),
  description: z.string().min(1).optional(),
  rationale: z.string().min(1).optional(),
  remediation: z.string().min(1).optional(),
  scope: z
    .strictObject({
      sources: z.array(z.string().min(1)).optional(),
      namespaces: z.array(z.string().min(1)).optional(),
      repositories: z.array(z.string().trim().min(1)).optional(),
    })
    .optional(),
});

const COMMON_KEYS = new Set(Object.keys(common.shape));

/**
 * The profile's policies, then an `allowed-registries` policy when allowed registries are
 * configured, then the configured ones; a configured policy replaces the one of the same name.
 * Every policy's options are validated here, so a typo fails at start-up naming its key rather
 * than silently passing every image.
 */
export function resolvePolicies(profile: ProfileName, configured: PolicyConfig[], allowedRegistries?: AllowedRegistries): ResolvedPolicy[] {
  const byName = new Map<string, ResolvedPolicy>();
  PROFILES[profile].forEach((p, i) => byName.set(p.name, resolveOne(p, [`profile ${profile}`, i])));
  if (allowedRegistries) {
    const p: PolicyConfig = { name: 'Allowed registries', rule: 'allowed-registries', enforcement: 'enforce', ...allowedRegistries };
    byName.set(p.name, resolveOne(p, ['policies', 'allowedRegistries']));
  }
  configured.forEach((p, i) => {
    const path = ['policies', 'rules', i];
    byName.set(p.name, resolveOne(p, path));
  });
  return [...byName.values()];
}

/** `path` locates the policy in the config, for errors naming the exact key. */
function resolveOne(config: PolicyConfig, path: (string | number)[]): ResolvedPolicy {
  const fail = (keyPath: PropertyKey[], message: string): never => {
    const key = formatPath([...path, ...keyPath]);
    throw new ConfigError(`${key}: ${message}`, { key });
  };
  const head = common.safeParse(config);
  if (!head.success) return fail(issueKey(head.error), head.error.issues[0].message);
  const rule = RULES.get(head.data.rule);
  if (!rule) return fail(['rule'], `unknown rule "${head.data.rule}" (known: ${[...RULES.keys()].join(', ')})`);

  const raw: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(config)) {
    if (!COMMON_KEYS.has(k)) raw[k] = v;
  }
  // `severity` names the threshold when the rule has such an option, the policy's severity otherwise.
  let severity = rule.defaults.severity;
  if (raw.severity !== undefined && !ruleHasOption(rule.options, 'severity')) {
    const s = policySeverity.safeParse(raw.severity);
    if (!s.success) return fail(['severity'], s.error.issues[0].message);
    severity = s.data;
    delete raw.severity;
  }
  const parsed = rule.options.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return fail(issueKey(parsed.error), issue.code === 'unrecognized_keys' ? `unknown option for rule ${rule.rule}` : issue.message);
  }
  const options = parsed.data;
  const scope = head.data.scope;
  return {
    name: head.data.name,
    rule: rule.rule,
    enforcement: head.data.enforcement,
    severity,
    description: head.data.description ?? rule.defaults.description,
    rationale: head.data.rationale ?? rule.defaults.rationale,
    remediation: head.data.remediation ?? rule.defaults.remediation,
    scope: {
      sources: scope?.sources && new Set(scope.sources),
      namespaces: scope?.namespaces && new Set(scope.namespaces),
      repositories: scope?.repositories?.map(parseImagePattern),
    },
    check: (subject) => rule.evaluate(subject, options),
  };
}

/** The key of the first issue; for an unknown key, that key rather than the object holding it. */
function issueKey(error: z.ZodError): PropertyKey[] {
  const issue = error.issues[0];
  return issue.code === 'unrecognized_keys' ? [...issue.path, issue.keys[0]] : issue.path;
}

function ruleHasOption(schema: z.ZodType, key: string): boolean {
  return schema instanceof z.ZodObject && Object.hasOwn(schema.shape, key);
}

/**
 * Evaluates every policy whose scope covers the subject; results include passing policies
 * (empty `violations`) so a report can show what was checked. Only enforce-mode violations
 * make the image non-compliant.
 */
export function evaluatePolicies(
  policies: readonly ResolvedPolicy[],
  subject: PolicySubject & { source?: string },
): { results: PolicyResult[]; compliant: boolean } {
  const results: PolicyResult[] = [];
  for (const p of policies) {
    if (!inScope(p.scope, subject)) continue;
    const { name, rule, severity, enforcement, description, rationale, remediation } = p;
    results.push({ name, rule, severity, enforcement, description, rationale, remediation, violations: p.check(subject) });
  }
  return { results, compliant: !results.some((r) => r.enforcement === 'enforce' && r.violations.length > 0) };
}

/** Each list given must admit the subject; a subject without the attribute a list asks about is out of scope. */
function inScope(scope: ResolvedPolicy['scope'], subject: PolicySubject & { source?: string }): boolean {
  if (scope.sources && (subject.source === undefined || !scope.sources.has(subject.source))) return false;
  if (scope.namespaces && (subject.namespace === undefined || !scope.namespaces.has(subject.namespace))) return false;
  if (scope.repositories && !scope.repositories.some((p) => p.matches(subject.image))) return false;
  return true;
}
