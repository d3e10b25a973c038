import {
  closeSync,
  constants,
  fchownSync,
  fstatSync,
  lstatSync,
  openSync,
  statSync,
  writeSync,
} from 'node:fs';
import { resolve } from 'node:path';

/** The file beside a ledger that its writers touch after each commit (see `CommitBell`). */
export function commitBellPath(ledgerPath: string): string {
  return `${ledgerPath}-bell`;
}

// Never follow a link planted at the bell's path (a ring would write a byte into its target), never
// wait on a FIFO (an open for writing would block the event loop until a reader came).
const OPEN_FLAGS =
  constants.O_WRONLY | constants.O_CREAT | constants.O_NOFOLLOW | constants.O_NONBLOCK | constants.O_NOCTTY;

/**
 * Opens the bell for writing, creating it 0600 if missing. Throws if it cannot, or if what is at the
 * path is not a regular file. Made by root (a `sudo chat-swarm …`), it is given to the ledger's
 * owner, as SQLite does with its -wal and -shm: a bell only root can write would never ring.
 */
function openBell(ledgerPath: string): number {
  const fd = openSync(commitBellPath(ledgerPath), OPEN_FLAGS, 0o600);
  try {
    const bell = fstatSync(fd);
    if (!bell.isFile()) throw new Error(`${commitBellPath(ledgerPath)} is not a regular file`);
    if (process.getuid?.() === 0) {
      const ledger = statSync(ledgerPath);
      if (bell.uid !== ledger.uid || bell.gid !== ledger.gid) fchownSync(fd, ledger.uid, ledger.gid);
    }
    return fd;
  } catch (err) {
    closeSync(fd);
    throw err;
  }
}

/** Creates the bell file if it is missing; false when it cannot be made or is not a regular file. */
export function ensureCommitBell(ledgerPath: string): boolean {
  try {
    closeSync(openBell(ledgerPath));
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
 * of `LedgerCore.write` that changed something, the committing process writes one byte to the bell
 * file, and each watcher wakes once, with the commit already visible. Writes outside `write` (the
 * key-value bookkeeping of cursors and rate limits, autocommitted) do not ring; watchers see them
 * at their next poll.
 *
 * Why not watch the ledger's own files: a commit writes its WAL frames one `pwrite` at a time, and a
 * watcher of the WAL woke on every one of them (about twenty a commit, in every agent process)
 * while the commit was still being written, and the commit became visible only after the last (in
 * SQLite's shared-memory index, which no file event announces). On two cores the wakes took the CPU
 * from the committing process: traces showed a create delayed by 2–5 ms by four idle agent
 * processes woken twenty times each.
 *
 * A bell that is missing, unwritable or not a regular file never fails or blocks a commit: watchers
 * then see it at their next poll.
 */
export class CommitBell {
  private readonly ledgerPath: string;
  private readonly path: string;
  private fd: number | undefined;
  // Deadlines on the monotonic clock: a wall clock stepped back must not silence the bell.
  private silentUntil = 0;
  private pathCheckAt = 0;

  constructor(ledgerPath: string) {
    // Resolved now: the process may change its working folder later.
    this.ledgerPath = resolve(ledgerPath);
    this.path = commitBellPath(this.ledgerPath);
  }

  ring(): void {
    if (this.fd !== undefined && performance.now() >= this.pathCheckAt) {
      this.pathCheckAt = performance.now() + PATH_CHECK_MS;
      // Deleted or replaced (by hand, by a cleanup): watchers watch the file at the path.
      if (!this.holdsPathFile(this.fd)) this.close();
    }
    if (this.fd === undefined) {
      if (performance.now() < this.silentUntil) return;
      try {
        this.fd = openBell(this.ledgerPath);
        this.pathCheckAt = performance.now() + PATH_CHECK_MS;
      } catch {
        this.silentUntil = performance.now() + RETRY_AFTER_MS;
        return;
      }
    }
    try {
      // Always the same byte at the same place: the file stays one byte long.
      writeSync(this.fd, ONE_BYTE, 0, 1, 0);
    } catch {
      this.close();
      this.silentUntil = performance.now() + RETRY_AFTER_MS;
    }
  }

  private holdsPathFile(fd: number): boolean {
    try {
      const held = fstatSync(fd);
      // lstat: a link put in the bell's place is not the file we hold.
      const atPath = lstatSync(this.path);
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
