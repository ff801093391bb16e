import type { Inventory } from '../../inventory/types';
import { formatReference, parseReference } from '../../registry/reference';
import { indexImage, type ScanOutcome } from '../../scan/scan-image';
import { AdvisoryStore } from '../../store/advisories';
import { FindingStore } from '../../store/findings';
import { matchAndRecord } from '../../vuln/match-inventory';
import type { MatchResult } from '../../vuln/matcher';
import { evaluatePolicies, resolvePolicies, type PolicyConfig } from '../../policy/evaluate';
import { applyIgnores, todayIn, type IgnoreOutcome } from '../../policy/ignore';
import type { PolicyResult } from '../../policy/rule';
import type { CommandContext } from '../context';
import { layerProgressLine } from '../progress';
import { renderTable } from '../table';

export interface CheckOptions {
  json?: boolean;
  platform?: string;
}

/**
 * `check IMAGE`: indexes one image now, matches it against the imported feeds, evaluates the
 * policies and prints, as `roxctl image check` does, each failed policy with its violations.
 * When no imported feed covers the image's OS the JSON says `vulnerabilities: null` rather
 * than an empty list, and the vulnerability policy fails as "cannot be evaluated": an image
 * nobody could check never passes the gate. Exit 1 when an enforce-mode policy fails.
 */
export async function checkCommand(ctx: CommandContext, image: string, options: CheckOptions, out: NodeJS.WritableStream): Promise<number> {
  const ref = parseReference(image);
  // Before the scan: a policy config error should not cost a download to find.
  const policies = resolvePolicies(ctx.config.policies.profile, ctx.config.policies.rules as PolicyConfig[], ctx.config.policies.allowedRegistries);
  const progress = options.json ? undefined : layerProgressLine();
  let outcome: ScanOutcome;
  try {
    outcome = await indexImage(ref, ctx.scanDependencies(ref, { platform: ctx.platform(options.platform), onLayerProgress: progress?.update }));
  } finally {
    progress?.done();
  }
  const name = formatReference(ref);
  const match = matchAndRecord(outcome.image.digest, outcome.inventory, { advisories: new AdvisoryStore(ctx.db), findings: new FindingStore(ctx.db) });
  const ignores = applyIgnores(match.findings, ref, ctx.config.ignore, todayIn(ctx.config.timezone));
  const verdict = evaluatePolicies(policies, { image: ref, inventory: outcome.inventory, findings: match.covered ? ignores.kept : null, now: new Date() });
  const failed = verdict.results.filter((r) => r.violations.length > 0);
  out.write(
    options.json
      ? `${JSON.stringify(checkJson(name, outcome, match, ignores, failed, verdict.compliant), null, 2)}\n`
      : checkText(name, outcome, match, ignores, failed),
  );
  return verdict.compliant ? 0 : 1;
}

function checkJson(image: string, o: ScanOutcome, match: MatchResult, ignores: IgnoreOutcome, failed: PolicyResult[], compliant: boolean) {
  const inv = o.inventory;
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
      severity: r.severity,
      enforcement: r.enforcement,
      description: r.description,
      rationale: r.rationale,
      remediation: r.remediation,
      violations: r.violations.map((v) => v.message),
    })),
    compliant,
  };
}

function checkText(image: string, o: ScanOutcome, match: MatchResult, ignores: IgnoreOutcome, failed: PolicyResult[]): string {
  const inv = o.inventory;
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
  lines.push('', ...policyLines(image, failed));
  return `${lines.join('\n')}\n`;
}

/** The failed policies as `roxctl image check` prints them, then a summary line. */
function policyLines(image: string, failed: PolicyResult[]): string[] {
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
      ...r.violations.map((v) => `    - ${v.message}`),
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
  const fixable = match.findings.filter((f) => f.state === 'fixed').length;
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
