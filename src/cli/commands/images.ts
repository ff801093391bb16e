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
      ['IMAGE', 'DIGEST', 'OS', 'PACKAGES', 'STATUS', 'LAST SEEN'],
      rows.map((r) => [
        `${r.registry}/${r.repository}${r.tag ? `:${r.tag}` : ''}`,
        r.digest.slice(0, 19),
        r.os ? `${r.os.id} ${r.os.version}` : '-',
        r.packageCount === null ? '-' : String(r.packageCount),
        r.status === 'failed' ? `failed: ${r.lastError ?? ''}` : r.status,
        r.lastSeen,
      ]),
    )}\n`,
  );
  return 0;
}
