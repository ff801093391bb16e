import { loadPolicyFile } from '../../config/policy-file';
import { ConfigError, StoreError, isImagewardenError, messageOf } from '../../errors';
import type { Inventory } from '../../inventory/types';
import { resolvePolicies, type PolicyConfig } from '../../policy/evaluate';
import type { IgnoreOutcome } from '../../policy/ignore';
import { dayIn } from '../../zoned-time';
import type { PolicyResult } from '../../policy/rule';
import { assessImage, type Assessment } from '../../policy/verdict';
import { VerdictRecorder } from '../../policy/verdict-recorder';
import { formatReference, parseReference } from '../../registry/reference';
import type { ImageReference } from '../../registry/types';
import { indexImage, type ScanOutcome } from '../../scan/scan-image';
import { AdvisoryStore } from '../../store/advisories';
import { FindingStore } from '../../store/findings';
import { matchAndRecord } from '../../vuln/match-inventory';
import { isFixable, type MatchResult } from '../../vuln/matcher';
import type { CommandContext } from '../context';
import type { CheckFailure, CheckReport } from '../output/check-report';
import { toJUnit } from '../output/junit';
import { toSarif } from '../output/sarif';
import { layerProgressLine } from '../progress';
import { renderTable } from '../table';
import { IMAGEWARDEN_VERSION } from '../../version';

export interface CheckOptions {
  json?: boolean;
  output?: string;
  platform?: string;
  policy?: string;
  namespace?: string;
}

const OUTPUTS = ['table', 'json', 'sarif', 'junit'] as const;
type Output = (typeof OUTPUTS)[number];

/**
 * `check IMAGE`: indexes one image now, matches it against the imported feeds, evaluates the
 * policies and prints, as `roxctl image check` does, each failed policy with its violations.
 * The verdict is stored with the digest's history (unless `--policy` names an ad-hoc policy
 * file: its verdict is printed, not stored). When no imported feed covers the image's OS the
 * JSON says `vulnerabilities: null` rather than an empty list, and the vulnerability policy
 * fails as "cannot be evaluated". A scan that fails leaves the digest `unknown` (exit 2), never
 * compliant. Exit 1 when an enforce-mode policy fails for this reference.
 */
export async function checkCommand(ctx: CommandContext, image: string, options: CheckOptions, out: NodeJS.WritableStream): Promise<number> {
  const output = outputOf(options);
  try {
    return await checkImage(ctx, image, options, output, out);
  } catch (e) {
    // A CI system reading the JSON, SARIF or JUnit file finds why there is no verdict, never an empty file.
    if (output !== 'table') out.write(render(output, failureOf(image, e)));
    throw e;
  }
}

async function checkImage(ctx: CommandContext, image: string, options: CheckOptions, output: Output, out: NodeJS.WritableStream): Promise<number> {
  const ref = parseReference(image);
  const name = formatReference(ref);
  // Before the scan: a policy config error should not cost a download to find.
  const adHoc = options.policy ? loadPolicyFile(options.policy) : undefined;
  const recorder = adHoc ? undefined : new VerdictRecorder(ctx.db, ctx.config);
  const adHocPolicies = adHoc && resolvePolicies(adHoc.policies.profile, adHoc.policies.rules as PolicyConfig[], adHoc.policies.allowedRegistries);
  const progress = output === 'table' ? layerProgressLine() : undefined;
  let outcome: ScanOutcome;
  try {
    outcome = await indexImage(
      ref,
      ctx.scanDependencies(ref, { platform: ctx.platform(options.platform), onLayerProgress: progress?.update }),
    );
  } catch (e) {
    progress?.done();
    const digest = isImagewardenError(e) ? e.context.digest : undefined;
    if (recorder && digest) recorder.unknown(digest, isImagewardenError(e) ? e.describe() : messageOf(e));
    throw e;
  }
  progress?.done();
  const digest = outcome.image.digest;
  const match = matchAndRecord(digest, outcome.inventory, { advisories: new AdvisoryStore(ctx.db), findings: new FindingStore(ctx.db) }, { explain: true });
  const assessment: Assessment = adHocPolicies
    ? assessImage({
        digest,
        inventory: outcome.inventory,
        findings: match.covered ? match.findings : null,
        sightings: [{ image: ref, namespace: options.namespace }],
        policies: adHocPolicies,
        policyFingerprint: '',
        ignores: adHoc!.ignore,
        today: dayIn(ctx.config.timezone),
        now: new Date(),
      })
    : recorder!.assessInventory(digest, outcome.inventory, match, options.namespace !== undefined ? { image: ref, namespace: options.namespace } : undefined).assessment;
  // `--namespace` is a question asked of this check, not a fact about the stored image: it is
  // evaluated as an extra sighting and not written to the images table.
  const mine = assessment.sightings.find((s) => sameLocation(s.sighting.image, ref) && s.sighting.namespace === options.namespace)
    ?? assessment.sightings.find((s) => sameLocation(s.sighting.image, ref));
  if (!mine) throw new StoreError(`the check of ${name} was not recorded as a sighting of ${digest}`, { image: name, digest });
  const report = checkReport(name, outcome, match, mine.ignores, mine.results);
  out.write(output === 'table' ? checkText(report, outcome, match, mine.ignores) : render(output, report));
  return report.compliant ? 0 : 1;
}

function outputOf(options: CheckOptions): Output {
  if (options.json) return 'json';
  const wanted = options.output ?? 'table';
  if (!(OUTPUTS as readonly string[]).includes(wanted)) {
    throw new ConfigError(`--output: unknown format "${wanted}" (known: ${OUTPUTS.join(', ')})`, { key: '--output' });
  }
  return wanted as Output;
}

function render(output: Exclude<Output, 'table'>, doc: CheckReport | CheckFailure): string {
  switch (output) {
    case 'json':
      return `${JSON.stringify(doc, null, 2)}\n`;
    case 'sarif':
      return `${JSON.stringify(toSarif(doc, { version: IMAGEWARDEN_VERSION }), null, 2)}\n`;
    case 'junit':
      return toJUnit(doc);
  }
}

function failureOf(image: string, e: unknown): CheckFailure {
  return {
    image,
    verdict: 'unknown',
    compliant: false,
    error: isImagewardenError(e)
      ? { kind: e.kind, message: e.describe(), context: { ...e.context } }
      : { kind: 'internal', message: messageOf(e), context: {} },
  };
}

function sameLocation(a: ImageReference, b: ImageReference): boolean {
  return a.registry === b.registry && a.repository === b.repository && (a.tag ?? '') === (b.tag ?? '');
}

function checkReport(image: string, o: ScanOutcome, match: MatchResult, ignores: IgnoreOutcome, results: PolicyResult[]): CheckReport {
  const inv = o.inventory;
  const failed = results.filter((r) => r.violations.length > 0);
  const compliant = !failed.some((r) => r.enforcement === 'enforce');
  return {
    image,
    digest: o.image.digest,
    platform: o.image.platform ?? null,
    os: inv.os ? { id: inv.os.id, version: inv.os.version, name: inv.os.prettyName ?? inv.os.name ?? null } : null,
    packages: inv.packages.map((p) => ({
      name: p.name,
      version: p.version,
      ...(p.source !== undefined && { source: p.source }),
      ...(p.sourceVersion !== undefined && { sourceVersion: p.sourceVersion }),
      ...(p.arch !== undefined && { arch: p.arch }),
      ecosystem: p.ecosystem,
    })),
    packageDatabases: inv.packageDatabases,
    config: inv.config,
    warnings: inv.warnings,
    coverage: { namespaces: match.namespaces, covered: match.covered },
    vulnerabilities: match.covered
      ? match.findings.map((f) => ({
          id: f.advisoryId,
          ...(f.aliases.length && { aliases: f.aliases }),
          package: f.package,
          installed: f.installed,
          ...(f.fixedVersion !== undefined && { fixed: f.fixedVersion }),
          state: f.state,
          severity: f.severity,
          ...(f.vendorSeverity !== undefined && { vendorSeverity: f.vendorSeverity }),
          ...(f.cvss !== undefined && { cvss: f.cvss }),
          feed: f.feed,
        }))
      : null,
    notAffected: match.covered ? match.notAffected : null,
    alreadyFixed: match.covered
      ? (match.alreadyFixed ?? []).map((r) => ({ id: r.advisoryId, package: r.package, installed: r.installed, fixed: r.fixedVersion, feed: r.feed }))
      : null,
    ignored: ignores.ignored.map(({ finding, entry }) => ({ id: finding.advisoryId, package: finding.package, reason: entry.reason, expires: entry.expires ?? null })),
    expiredIgnores: ignores.expired.map(({ finding, entry }) => ({ id: finding.advisoryId, package: finding.package, reason: entry.reason, expired: entry.expires })),
    policies: failed.map((r) => ({
      name: r.name,
      rule: r.rule,
      severity: r.severity,
      enforcement: r.enforcement,
      description: r.description,
      rationale: r.rationale,
      remediation: r.remediation,
      violations: r.violations.map((v) => v.message),
    })),
    evaluated: results.map((r) => ({ name: r.name, rule: r.rule, severity: r.severity, enforcement: r.enforcement, passed: r.violations.length === 0 })),
    verdict: compliant ? 'compliant' : 'non-compliant',
    compliant,
  };
}

function checkText(report: CheckReport, o: ScanOutcome, match: MatchResult, ignores: IgnoreOutcome): string {
  const inv = o.inventory;
  const image = report.image;
  const lines = [
    `Image     ${image}`,
    `Digest    ${o.image.digest}${o.image.platform ? ` (${o.image.platform})` : ''}`,
    `OS        ${inv.os ? `${inv.os.prettyName ?? `${inv.os.id} ${inv.os.version}`} [${inv.os.id} ${inv.os.version}]` : 'not detected (no os-release or release file)'}`,
    `Scanned   ${o.reused ? 'indexed before: nothing downloaded' : `${o.layersDownloaded} of ${inv.layers.length} layers downloaded`}`,
    '',
  ];
  lines.push(...databaseLines(inv), '');
  if (inv.packages.length) {
    lines.push(
      renderTable(
        ['PACKAGE', 'VERSION', 'SOURCE', 'ARCH', 'TYPE'],
        inv.packages.map((p) => [p.name, p.version, p.source && p.source !== p.name ? p.source : '', p.arch ?? '', p.ecosystem]),
      ),
      '',
      `${inv.packages.length} packages`,
    );
  }
  for (const w of inv.warnings) lines.push(`warning: ${w}`);
  lines.push('', ...vulnerabilityLines(match));
  for (const { finding, entry } of ignores.ignored) {
    lines.push(`ignored: ${finding.advisoryId} in ${finding.package}: ${entry.reason}${entry.expires ? ` (until ${entry.expires})` : ''}`);
  }
  for (const { finding, entry } of ignores.expired) {
    lines.push(`warning: the ignore entry for ${finding.advisoryId} in ${finding.package} expired on ${entry.expires}: it counts again`);
  }
  lines.push('', ...policyLines(image, report.policies));
  return `${lines.join('\n')}\n`;
}

/** The failed policies as `roxctl image check` prints them, then a summary line. */
function policyLines(image: string, failed: CheckReport['policies']): string[] {
  const lines: string[] = [];
  for (const r of failed) {
    const cause = r.enforcement === 'enforce' ? ' (policy enforcement caused failure)' : '';
    lines.push(
      `✗ Image ${image} failed policy '${r.name}'${cause}`,
      '- Description:',
      `    ${r.description}`,
      '- Rationale:',
      `    ${r.rationale}`,
      '- Remediation:',
      `    ${r.remediation}`,
      '- Violations:',
      ...r.violations.map((v) => `    - ${v}`),
      '',
    );
  }
  const enforced = failed.filter((r) => r.enforcement === 'enforce');
  const bySeverity = (['Critical', 'High', 'Medium', 'Low'] as const).map((sev) => `${sev}: ${failed.filter((r) => r.severity === sev).length}`).join(', ');
  lines.push(
    failed.length
      ? `Summary of policy violations: ${failed.length} policies violated (${bySeverity}); ${enforced.length} enforced`
      : 'Summary of policy violations: none',
  );
  return lines;
}

function vulnerabilityLines(match: MatchResult): string[] {
  if (!match.covered) {
    const which = match.namespaces.length ? match.namespaces.join(', ') : 'an OS that was not detected';
    return [`Vulnerabilities: NOT CHECKED: no imported feed covers ${which}.`];
  }
  const resolved = match.alreadyFixed?.length ? [`${match.alreadyFixed.length} advisories about installed packages are already fixed in the installed versions.`] : [];
  if (!match.findings.length) return [`Vulnerabilities: none found (feeds for ${match.namespaces.join(', ')}).`, ...resolved];
  const fixable = match.findings.filter(isFixable).length;
  return [
    renderTable(
      ['SEVERITY', 'ID', 'PACKAGE', 'INSTALLED', 'FIXED', 'STATE', 'FEED'],
      match.findings.map((f) => [f.severity, f.advisoryId, f.package, f.installed, f.fixedVersion ?? '', f.state, f.feed]),
    ),
    '',
    `${match.findings.length} vulnerabilities (${fixable} fixable, ${match.findings.length - fixable} without a fix)`,
    ...resolved,
  ];
}

function databaseLines(inv: Inventory): string[] {
  if (!inv.packageDatabases.length) {
    return ['No OS package database (dpkg, rpm or apk) is present in the image: its OS packages cannot be listed.'];
  }
  return inv.packageDatabases.map((d) => `Package database ${d.path} (${d.ecosystem} ${d.format}, ${d.packages} packages, layer ${d.layer.slice(0, 19)})`);
}
