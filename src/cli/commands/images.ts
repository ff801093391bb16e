import { ImageStore } from '../../store/images';
import type { CommandContext } from '../context';
import { renderTable } from '../table';

/** `images`: what the store knows, one row per repository tag and digest. */
export function imagesCommand(ctx: CommandContext, options: { json?: boolean }, out: NodeJS.WritableStream): number {
  const rows = new ImageStore(ctx.db).listImages();
  if (options.json) {
    out.write(`${JSON.stringify(rows, null, 2)}\n`);
    return 0;
  }
  if (!rows.length) {
    out.write('No images stored yet.\n');
    return 0;
  }
  out.write(
    `${renderTable(
      ['IMAGE', 'DIGEST', 'OS', 'PACKAGES', 'VULNERABILITIES', 'VERDICT', 'STATUS', 'LAST SEEN'],
      rows.map((r) => [
        `${r.registry}/${r.repository}${r.tag ? `:${r.tag}` : ''}`,
        r.digest.slice(0, 19),
        r.os ? `${r.os.id} ${r.os.version}` : '-',
        r.packageCount === null ? '-' : String(r.packageCount),
        r.vulnerabilities === null
          ? 'not checked'
          : `${r.vulnerabilities.total} (${r.vulnerabilities.critical} critical, ${r.vulnerabilities.high} high, ${r.vulnerabilities.fixable} fixable)`,
        r.verdict === 'non-compliant' ? `non-compliant: ${r.failedPolicies.join(', ')}` : r.verdict,
        r.status,
        r.lastSeen,
      ]),
    )}\n`,
  );
  const failed = rows.filter((r) => r.status === 'failed');
  if (failed.length) {
    out.write(`\nLast scan failed for ${failed.length} image(s):\n`);
    for (const r of failed) out.write(`  ${r.registry}/${r.repository}${r.tag ? `:${r.tag}` : ''}: ${r.lastError ?? 'unknown error'}\n`);
  }
  return 0;
}
