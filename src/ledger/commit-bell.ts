import { closeSync, constants, fstatSync, openSync, statSync, writeSync } from 'node:fs';
import { resolve } from 'node:path';

/** The file beside a ledger that its writers touch after each commit (see `CommitBell`). */
export function commitBellPath(ledgerPath: string): string {
  return `${ledgerPath}-bell`;
}

/** Creates the bell file if it is missing (0600, like the ledger); false when it cannot be made. */
export function ensureCommitBell(ledgerPath: string): boolean {
  try {
    closeSync(openSync(commitBellPath(ledgerPath), constants.O_WRONLY | constants.O_CREAT, 0o600));
    return true;
  } catch {
    return false;
  }
}

const ONE_BYTE = Buffer.from('1');
/** After a failed ring, how long the bell stays silent before it tries the file again. */
const RETRY_AFTER_MS = 5_000;
/** How often a ring makes sure the file it holds open is still the one at the bell's path. */
const PATH_CHECK_MS = 1_000;

/**
 * Announces a ledger's commits to the processes that watch it (`LedgerWatcher`): after every commit
 * that changed something, the committing process writes one byte to the bell file, and each watcher
 * wakes once, with the commit already visible.
 *
 * Why not watch the ledger's own files: a commit writes its WAL frames one `pwrite` at a time, and a
 * watcher of the WAL woke on every one of them (about twenty a commit, in every agent process)
 * while the commit was still being written, and the commit became visible only after the last (in
 * SQLite's shared-memory index, which no file event announces). On two cores the wakes took the CPU
 * from the committing process: traces showed a create delayed by 2–5 ms by four idle agent
 * processes woken twenty times each.
 *
 * A missing or unwritable bell never fails a commit: watchers then see it at their next poll.
 */
export class CommitBell {
  private readonly path: string;
  private fd: number | undefined;
  private silentUntil = 0;
  private pathCheckAt = 0;

  constructor(ledgerPath: string) {
    // Resolved now: the process may change its working folder later.
    this.path = commitBellPath(resolve(ledgerPath));
  }

  ring(): void {
    if (this.fd !== undefined && Date.now() >= this.pathCheckAt) {
      this.pathCheckAt = Date.now() + PATH_CHECK_MS;
      // Deleted or replaced (by hand, by a cleanup): watchers watch the file at the path.
      if (!this.holdsPathFile(this.fd)) this.close();
    }
    if (this.fd === undefined) {
      if (Date.now() < this.silentUntil) return;
      try {
        this.fd = openSync(this.path, constants.O_WRONLY | constants.O_CREAT, 0o600);
        this.pathCheckAt = Date.now() + PATH_CHECK_MS;
      } catch {
        this.silentUntil = Date.now() + RETRY_AFTER_MS;
        return;
      }
    }
    try {
      // Always the same byte at the same place: the file stays one byte long.
      writeSync(this.fd, ONE_BYTE, 0, 1, 0);
    } catch {
      this.close();
      this.silentUntil = Date.now() + RETRY_AFTER_MS;
    }
  }

  private holdsPathFile(fd: number): boolean {
    try {
      const held = fstatSync(fd);
      const atPath = statSync(this.path);
      return held.ino === atPath.ino && held.dev === atPath.dev;
    } catch {
      return false;
    }
  }

  close(): void {
    if (this.fd === undefined) return;
    try {
      closeSync(this.fd);
    } catch {
      // Closed already: nothing to release.
    }
    this.fd = undefined;
  }
}
