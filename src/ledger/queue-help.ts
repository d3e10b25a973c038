import { closeSync, lstatSync, writeSync } from 'node:fs';
import { resolve } from 'node:path';
import { openSignalFile } from './commit-bell.ts';

/** The file beside a ledger whose time the poster sets when it is kept from the write lock. */
export function queueHelpPath(ledgerPath: string): string {
  return `${ledgerPath}-queue-help`;
}

/** How long a call for help counts after the poster last found the lock taken. */
export const HELP_WANTED_MS = 2_000;

/** How often an agent's process looks at the file again (a stat), at most. */
const LOOK_EVERY_MS = 100;

const ONE_BYTE = Buffer.from('1');

/**
 * The poster's call for help with the outbox, from one process to the others on the same ledger.
 *
 * Why a file and not the ledger: the poster calls when it cannot get the write lock, so it cannot
 * write a row saying so. Agents finishing an attempt then queue a batch of the backlog in their own
 * commit (`helpQueueInWrite`); without a call (a poster that keeps up, or none running) they leave
 * the queue to the poster and their commits stay as small as ever.
 *
 * The file carries nothing but its modification time; it is opened as the commit bell is (never
 * through a link, never waiting on a FIFO, 0600). Whoever can set its time can at most make agents
 * queue rows that would be queued anyway. Failures are silent: help is an optimisation.
 */
export class QueueHelpSignal {
  private readonly ledgerPath: string;
  private readonly path: string;
  private lookedAt = Number.NEGATIVE_INFINITY;
  private lastCall: number | undefined;

  constructor(ledgerPath: string) {
    // Resolved now: the process may change its working folder later.
    this.ledgerPath = resolve(ledgerPath);
    this.path = queueHelpPath(this.ledgerPath);
  }

  /** The poster: it found the write lock taken with events left to queue. */
  call(): void {
    let fd: number | undefined;
    try {
      fd = openSignalFile(this.ledgerPath, this.path);
      // Writing moves the file's modification time, which is what the agents read.
      writeSync(fd, ONE_BYTE, 0, 1, 0);
    } catch {
      // No call this time: the poster catches up on its own after a second.
    } finally {
      if (fd !== undefined) closeSync(fd);
    }
  }

  /** Agents: whether the poster called within the last `HELP_WANTED_MS` (looked up at most every 100 ms). */
  wanted(): boolean {
    const now = performance.now();
    if (now - this.lookedAt >= LOOK_EVERY_MS) {
      this.lookedAt = now;
      this.lastCall = this.callTime();
    }
    // Wall-clock times (the file's and ours): a clock stepped either way ends the call, no more.
    return this.lastCall !== undefined && Math.abs(Date.now() - this.lastCall) < HELP_WANTED_MS;
  }

  private callTime(): number | undefined {
    try {
      const stat = lstatSync(this.path, { throwIfNoEntry: false });
      return stat?.isFile() ? stat.mtimeMs : undefined;
    } catch {
      return undefined;
    }
  }
}
