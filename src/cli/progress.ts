import { formatBytes } from '../config/size';
import type { LayerProgress } from '../scan/scan-image';

/**
 * One self-rewriting status line on a terminal while layers download; nothing at all when
 * stderr is a pipe or file, so scripts and CI logs stay clean.
 */
export function layerProgressLine(stream: NodeJS.WriteStream = process.stderr): { update: (p: LayerProgress) => void; done: () => void } {
  if (!stream.isTTY) return { update: () => undefined, done: () => undefined };
  const state = new Map<number, LayerProgress>();
  let last = 0;
  let shown = false;
  return {
    update(p) {
      state.set(p.index, p);
      const now = Date.now();
      if (now - last < 100 && p.received < p.size) return;
      last = now;
      const all = [...state.values()];
      const received = all.reduce((n, l) => n + l.received, 0);
      const size = all.reduce((n, l) => n + l.size, 0);
      const doneLayers = all.filter((l) => l.received >= l.size).length;
      const text = `layers ${doneLayers}/${p.total}  ${formatBytes(received)} / ${formatBytes(size)}  ${p.digest.slice(0, 19)}`;
      stream.write(`\r\x1b[2K${text}`);
      shown = true;
    },
    done() {
      if (shown) stream.write('\r\x1b[2K');
    },
  };
}
