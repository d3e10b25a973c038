import { lstatSync, watch, type FSWatcher, type Stats } from 'node:fs';
import { resolve } from 'node:path';
import { commitBellPath, ensureCommitBell } from '../ledger/commit-bell.ts';
import type { Ledger } from '../ledger/ledger.ts';
import { isFileless } from '../ledger/open-database.ts';

export interface LedgerWatcherOptions {
  /** Fastest poll, used right after a change (ms). */
  minPollMs: number;
  /** Slowest poll, reached after a quiet spell (ms). */
  maxPollMs: number;
}

export const WATCHER_DEFAULTS = { minPollMs: 2, maxPollMs: 25 } as const satisfies LedgerWatcherOptions;

/** How often a watcher makes sure it watches the bell file at its path (deleted, replaced, not yet made). */
const BELL_CHECK_MS = 1_000;

/**
 * Notices commits to the ledger from this process or any other, within milliseconds and without a
 * long fixed poll: a file-system watch on the ledger's commit bell (commit-bell.ts), which every
 * chat-swarm process writes after each commit, wakes it once per commit, with the commit already
 * visible. An adaptive poll of the last event number (and PRAGMA data_version) backs it up, and is
 * how commits by anything that does not ring (the sqlite3 shell, a process of a version before the
 * bell) are seen: within `maxPollMs`.
 */
export class LedgerWatcher {
  private readonly listeners = new Set<() => void>();
  private timer: NodeJS.Timeout | undefined;
  private fsWatcher: FSWatcher | undefined;
  /** The inode the bell watch is on: a bell deleted while a writer holds it open fires no event. */
  private watchedBell: number | undefined;
  private bellCheck: NodeJS.Timeout | undefined;
  private lastSeq = -1;
  private lastVersion = -1;
  private pollMs: number;
  /** A check is queued for this turn of the event loop (the bell rang, maybe several times). */
  private checkQueued = false;
  private readonly options: LedgerWatcherOptions;
  /** The ledger's path, resolved once (the process may change its working folder); none in memory. */
  private readonly ledgerPath: string | undefined;

  constructor(
    private readonly ledger: Ledger,
    options: Partial<LedgerWatcherOptions> = {},
  ) {
    this.options = { ...WATCHER_DEFAULTS, ...options };
    this.pollMs = this.options.minPollMs;
    this.ledgerPath = isFileless(ledger.path) ? undefined : resolve(ledger.path);
  }

  /** Calls `fn` after each change; returns the unsubscribe function. */
  subscribe(fn: () => void): () => void {
    this.listeners.add(fn);
    if (this.listeners.size === 1) this.start();
    return () => {
      this.listeners.delete(fn);
      if (this.listeners.size === 0) this.stop();
    };
  }

  /** Tells listeners now (a write this process just made). */
  notify(): void {
    this.check('force');
  }

  private start(): void {
    if (this.ledgerPath !== undefined) {
      this.watchBell(this.ledgerPath);
      const ledgerPath = this.ledgerPath;
      this.bellCheck = setInterval(() => this.checkBellWatch(ledgerPath), BELL_CHECK_MS);
      this.bellCheck.unref();
    }
    this.schedule();
  }

  private stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.bellCheck) clearInterval(this.bellCheck);
    this.bellCheck = undefined;
    this.unwatchBell();
  }

  /** Watches the bell file itself, not the ledger's folder: a folder watch also wakes on every WAL write. */
  private watchBell(ledgerPath: string): void {
    const bell = commitBellPath(ledgerPath);
    // Made here too (by a process that may write the ledger), so a watcher that starts before the
    // first commit has a file to watch.
    if (!this.ledger.db.readonly) ensureCommitBell(ledgerPath);
    let bellFile: Stats;
    try {
      bellFile = lstatSync(bell);
    } catch {
      return; // Missing (a folder this process cannot write): the poll still works.
    }
    // Only a regular file: a link in its place is not rung by anyone.
    if (!bellFile.isFile()) return;
    try {
      const fsWatcher = watch(bell, { persistent: false }, (event) => {
        // Deleted or replaced: the watch went with the old file (watched again within BELL_CHECK_MS).
        if (event === 'rename') this.unwatchBell();
        this.queueCheck();
      });
      fsWatcher.on('error', () => this.unwatchBell());
      this.fsWatcher = fsWatcher;
      // Replaced since the lstat: the next checkBellWatch sees the other inode and watches again.
      this.watchedBell = bellFile.ino;
    } catch {
      // A file system that cannot be watched: the poll still works.
      this.unwatchBell();
    }
  }

  /**
   * Watches the file at the bell's path if the watch is gone or on another file. Unlinking a file a
   * writer holds open fires no event here: the writers ring the old file until they notice (see
   * CommitBell), and processes started since ring the new one.
   */
  private checkBellWatch(ledgerPath: string): void {
    let ino: number | undefined;
    try {
      ino = lstatSync(commitBellPath(ledgerPath)).ino;
    } catch {
      // Gone: made again by watchBell.
    }
    if (this.fsWatcher && ino !== undefined && ino === this.watchedBell) return;
    this.unwatchBell();
    this.watchBell(ledgerPath);
    // A commit may have rung only the old file.
    this.queueCheck();
  }

  private unwatchBell(): void {
    this.fsWatcher?.close();
    this.fsWatcher = undefined;
    this.watchedBell = undefined;
  }

  private schedule(): void {
    this.timer = setTimeout(() => {
      this.check('poll');
      if (this.listeners.size) this.schedule();
    }, this.pollMs);
    this.timer.unref();
  }

  /** One check for however many rings reach this turn of the event loop. */
  private queueCheck(): void {
    if (this.checkQueued) return;
    this.checkQueued = true;
    setImmediate(() => {
      this.checkQueued = false;
      if (this.listeners.size) this.check('watch');
    });
  }

  /** `force`: tell listeners whatever the mark says (a write of this process). */
  private check(source: 'force' | 'poll' | 'watch'): void {
    if (!this.ledger.db.open) return;
    let changed = source === 'force';
    try {
      const { seq, version } = this.ledger.changeMark();
      if (version !== this.lastVersion || seq !== this.lastSeq) changed = true;
      this.lastVersion = version;
      this.lastSeq = seq;
    } catch {
      return;
    }
    // The poll backs off only when its own checks find nothing: a ring says writes are going on.
    if (changed) this.pollMs = this.options.minPollMs;
    else if (source === 'poll') this.pollMs = Math.min(this.options.maxPollMs, this.pollMs * 2);
    if (!changed) return;
    // One failing listener must not starve the others, nor end the process from a timer.
    for (const fn of [...this.listeners]) {
      try {
        fn();
      } catch {
        // Listeners log their own failures; this one is tried again on the next change.
      }
    }
  }
}
