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

/** Quiet time after a burst of file events before the watcher checks again (see `queueCheck`). */
const SETTLE_MS = 1;
/** The longest a burst of file events puts that check off. */
const SETTLE_MAX_MS = 3;

/**
 * Notices commits to the ledger from this process or any other, within milliseconds and without a
 * long fixed poll: a file-system watch on the ledger's folder wakes it at once on a WAL write, and an
 * adaptive poll of the last event number (and PRAGMA data_version) backs it up.
 */
export class LedgerWatcher {
  private readonly listeners = new Set<() => void>();
  private timer: NodeJS.Timeout | undefined;
  /** The check that follows a burst of file events, and when the burst began (see `queueCheck`). */
  private settleTimer: NodeJS.Timeout | undefined;
  private burstStartedAt = 0;
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
    this.check('force');
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
    if (this.settleTimer) clearTimeout(this.settleTimer);
    this.settleTimer = undefined;
    this.fsWatcher?.close();
    this.fsWatcher = undefined;
  }

  private schedule(): void {
    this.timer = setTimeout(() => {
      this.check('poll');
      if (this.listeners.size) this.schedule();
    }, this.pollMs);
    this.timer.unref();
  }

  /**
   * Checks for the watch events of a commit. A commit writes the WAL many times, every agent process
   * on the host hears each write, and the events come while the commit is being written, before it
   * is visible: it becomes visible in the shared-memory index, which no file event announces. So the
   * first event of a burst is checked at once (a short commit may be visible already), and the burst
   * once more when it has been quiet for `SETTLE_MS` (at most `SETTLE_MAX_MS` after it began). Checks
   * in between would only take the two cores from the committing process. Without the settle check
   * a commit waited for the poll, backed off to `maxPollMs` after a quiet spell: 3–23 ms claims in
   * the latency bench.
   */
  private queueCheck(): void {
    if (this.settleTimer) {
      if (performance.now() - this.burstStartedAt < SETTLE_MAX_MS) this.settleTimer.refresh();
      return;
    }
    this.burstStartedAt = performance.now();
    this.settleTimer = setTimeout(() => {
      this.settleTimer = undefined;
      if (this.listeners.size) this.check('watch');
    }, SETTLE_MS);
    this.settleTimer.unref();
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
    // The poll backs off only when its own checks find nothing: a file event says a write is under way.
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
