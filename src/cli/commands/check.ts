import type { Inventory } from '../../inventory/types';
import { formatReference, parseReference } from '../../registry/reference';
import { indexImage, type ScanOutcome } from '../../scan/scan-image';
import type { CommandContext } from '../context';
import { layerProgressLine } from '../progress';
import { renderTable } from '../table';

export interface CheckOptions {
  json?: boolean;
  platform?: string;
}

/**
 * `check IMAGE`: indexes one image now and prints what it is made of. Vulnerabilities and policy
 * verdicts are not evaluated yet, so the JSON says `null` for them rather than an empty list: an
 * empty list would read as "clean".
 */
export async function checkCommand(ctx: CommandContext, image: string, options: CheckOptions, out: NodeJS.WritableStream): Promise<number> {
  const ref = parseReference(image);
  const progress = options.json ? undefined : layerProgressLine();
  let outcome: ScanOutcome;
  try {
    outcome = await indexImage(ref, ctx.scanDependencies(ref, { platform: ctx.platform(options.platform), onLayerProgress: progress?.update }));
  } finally {
    progress?.done();
  }
  const name = formatReference(ref);
  out.write(options.json ? `${JSON.stringify(checkJson(name, outcome), null, 2)}\n` : checkText(name, outcome));
  return 0;
}

function checkJson(image: string, o: ScanOutcome) {
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
    vulnerabilities: null,
    policies: null,
    compliant: null,
  };
}

function checkText(image: string, o: ScanOutcome): string {
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
  lines.push('Vulnerabilities and policies: not evaluated by this version.');
  return `${lines.join('\n')}\n`;
}

function databaseLines(inv: Inventory): string[] {
  if (!inv.packageDatabases.length) {
    return ['No OS package database (dpkg, rpm or apk) is present in the image: its OS packages cannot be listed.'];
  }
  return inv.packageDatabases.map((d) => `Package database ${d.path} (${d.ecosystem} ${d.format}, ${d.packages} packages, layer ${d.layer.slice(0, 19)})`);
}
