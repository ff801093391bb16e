/** The sweep's counters as a person watching a terminal wants them. */
export interface SweepProgressState {
  tags: number;
  queued: number;
  scanned: number;
  failed: number;
}

/**
 * One self-rewriting line on stderr, at most ten times a second; nothing when the job does not
 * run interactively, so logs and pipes stay clean.
 */
export function sweepProgressLine(interactive: boolean | undefined, stream: NodeJS.WritableStream = process.stderr): { update: (s: SweepProgressState) => void; done: () => void } {
  if (!interactive) return { update: () => undefined, done: () => undefined };
  let last = 0;
  let shown = false;
  return {
    update(s) {
      const now = Date.now();
      const finished = s.scanned + s.failed;
      if (now - last < 100 && finished < s.queued) return;
      last = now;
      const width = 24;
      const filled = s.queued ? Math.round((finished / s.queued) * width) : 0;
      const bar = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
      stream.write(`\r\x1b[2Ksweep ${bar} ${finished}/${s.queued} scans, ${s.failed} failed, ${s.tags} tags found`);
      shown = true;
    },
    done() {
      if (shown) stream.write('\r\x1b[2K');
    },
  };
}
