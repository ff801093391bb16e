import fs from 'node:fs';

export type LockAttempt = { acquired: true; release: () => void } | { acquired: false; holderPid: number };

/**
 * One lock per job, so that no job runs twice at once — in this process, and across processes
 * sharing the database (the daemon, and `run-now` started beside it in the same container).
 * A lock is a file next to the database holding the owner's pid; a file whose pid no longer
 * runs was left by a crash and is taken over. An in-memory database is private to its
 * process, so its locks are in-process only.
 */
export class JobLocks {
  /** The in-memory database's locks; a file database's are in {@link heldFiles}. */
  private readonly heldJobs = new Set<string>();

  /** `databaseFile` undefined: an in-memory database. */
  constructor(private readonly databaseFile: string | undefined) {}

  tryAcquire(job: string): LockAttempt {
    if (this.databaseFile === undefined) {
      if (this.heldJobs.has(job)) return { acquired: false, holderPid: process.pid };
      this.heldJobs.add(job);
      return { acquired: true, release: () => this.heldJobs.delete(job) };
    }
    const file = this.fileOf(job, this.databaseFile);
    if (heldFiles.has(file)) return { acquired: false, holderPid: process.pid };
    const holderPid = this.claimFile(file);
    if (holderPid !== undefined) return { acquired: false, holderPid };
    heldFiles.add(file);
    return { acquired: true, release: () => releaseFile(file) };
  }

  /** Returns the pid of a live holder, or undefined once the file is ours. */
  private claimFile(file: string): number | undefined {
    // The pid is written to a private file first and linked into place: link() fails when the
    // lock exists, and a reader never sees a lock file without its pid.
    const draft = `${file}.${process.pid}`;
    fs.writeFileSync(draft, String(process.pid));
    try {
      for (;;) {
        try {
          fs.linkSync(draft, file);
          return undefined;
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
        }
        const holder = readPid(file);
        // Our own pid on a lock this process does not hold (not in heldFiles) is a previous
        // incarnation's: pid 1 in a restarted container.
        if (holder !== undefined && holder !== process.pid && isAlive(holder)) return holder;
        fs.rmSync(file, { force: true });
      }
    } finally {
      fs.rmSync(draft, { force: true });
    }
  }

  private fileOf(job: string, databaseFile: string): string {
    return `${databaseFile}.${job}.lock`;
  }
}

/** Lock files this process holds, whichever runner took them. */
const heldFiles = new Set<string>();

function releaseFile(file: string): void {
  if (!heldFiles.delete(file)) return;
  if (readPid(file) === process.pid) fs.rmSync(file, { force: true });
}

function readPid(file: string): number | undefined {
  try {
    const pid = Number.parseInt(fs.readFileSync(file, 'utf8'), 10);
    return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: the process exists but belongs to another user.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
