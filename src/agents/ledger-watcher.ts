import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';
import type { Ledger } from '../ledger/ledger.ts';

export interface LedgerWatcherOptions {
  /** Fastest poll, used right after a change (ms). */
  minPollMs: number;
  /** Slowest poll, reached after a quiet spell (ms). */
  maxPollMs: number;
}

export const WATCHER_DEFAULTS = { minPollMs: 2, maxPollMs: 25 } as const satisfies LedgerWatcherOptions;

/**
 * Notices commits to the ledger from this process or any other, within milliseconds and without a
 * long fixed poll: a file-system watch on the ledger's folder wakes it at once on a WAL write, and an
 * adaptive poll of the last event number (and PRAGMA data_version) backs it up.
 */
export class LedgerWatcher {
  private readonly listeners = new Set<() => void>();
  private timer: NodeJS.Timeout | undefined;
  private fsWatcher: FSWatcher | undefined;
  private lastSeq = -1;
  private lastVersion = -1;
  private pollMs: number;
  /** A check is queued for this turn of the event loop (one commit fires several watch events). */
  private checkQueued = false;
  private readonly options: LedgerWatcherOptions;

  constructor(
    private readonly ledger: Ledger,
    options: Partial<LedgerWatcherOptions> = {},
  ) {
    this.options = { ...WATCHER_DEFAULTS, ...options };
    this.pollMs = this.options.minPollMs;
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
    this.check(true);
  }

  private start(): void {
    const file = this.ledger.path;
    if (file !== ':memory:' && file !== '') {
      try {
        const prefix = basename(file);
        this.fsWatcher = watch(dirname(file), { persistent: false }, (_event, name) => {
          if (name && String(name).startsWith(prefix)) this.queueCheck();
        });
        this.fsWatcher.on('error', () => this.fsWatcher?.close());
      } catch {
        // Some file systems cannot be watched; the poll still works.
      }
    }
    this.schedule();
  }

  private stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.fsWatcher?.close();
    this.fsWatcher = undefined;
  }

  private schedule(): void {
    this.timer = setTimeout(() => {
      this.check(false);
      if (this.listeners.size) this.schedule();
    }, this.pollMs);
    this.timer.unref();
  }

  /**
   * One check for the watch events that arrive together: a commit writes the WAL many times, and
   * every agent process on the host hears each write.
   */
  private queueCheck(): void {
    if (this.checkQueued) return;
    this.checkQueued = true;
    setImmediate(() => {
      this.checkQueued = false;
      if (this.listeners.size) this.check(false);
    });
  }

  private check(force: boolean): void {
    if (!this.ledger.db.open) return;
    let changed = force;
    try {
      const { seq, version } = this.ledger.changeMark();
      if (version !== this.lastVersion || seq !== this.lastSeq) changed = true;
      this.lastVersion = version;
      this.lastSeq = seq;
    } catch {
      return;
    }
    this.pollMs = changed ? this.options.minPollMs : Math.min(this.options.maxPollMs, this.pollMs * 2);
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
