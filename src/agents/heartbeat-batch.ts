import { describeError } from '../core/errors.ts';
import type { Logger } from '../core/logger.ts';
import type { AttemptRef, Ledger, WriteResult } from '../ledger/ledger.ts';

interface Beat {
  ref: AttemptRef;
  leaseMs: number;
  onResult: (result: WriteResult) => void;
}

/**
 * The heartbeats of every attempt a runtime is running, written together: one transaction (one
 * commit) per tick instead of one per attempt. Each attempt is still fenced on its own and hears
 * its own result; a failed write (busy, disk full) is logged and tried again on the next tick.
 */
export class HeartbeatBatch {
  private readonly beats = new Set<Beat>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly ledger: Ledger,
    /** Time between two ticks: each attempt's lease is extended at least this often. */
    private readonly intervalMs: number,
    private readonly log: Logger,
  ) {}

  /** Beats for `ref` on every tick until the returned function is called. */
  add(ref: AttemptRef, leaseMs: number, onResult: (result: WriteResult) => void): () => void {
    const beat: Beat = { ref, leaseMs, onResult };
    this.beats.add(beat);
    this.timer ??= setInterval(() => this.tick(), this.intervalMs);
    return () => {
      this.beats.delete(beat);
      if (this.beats.size === 0 && this.timer) {
        clearInterval(this.timer);
        this.timer = undefined;
      }
    };
  }

  private tick(): void {
    const beats = [...this.beats];
    let results: WriteResult[];
    try {
      results = this.ledger.heartbeatMany(beats.map((b) => ({ ref: b.ref, leaseMs: b.leaseMs })));
    } catch (err) {
      this.log.warn('heartbeat failed; will retry', { attempts: beats.length, error: describeError(err) });
      return;
    }
    beats.forEach((b, i) => {
      // An attempt that ended while the batch was written has nobody left to tell.
      if (!this.beats.has(b)) return;
      try {
        b.onResult(results[i]!);
      } catch (err) {
        this.log.warn('heartbeat result not handled', { ...b.ref, error: describeError(err) });
      }
    });
  }
}
