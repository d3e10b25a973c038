import { describeError } from '../core/errors.ts';
import type { Logger } from '../core/logger.ts';
import type { WriteResult } from '../ledger/ledger.ts';

/** What a {@link ProgressThrottle} writes through, and whom it tells. */
export interface ProgressThrottleOptions {
  /** Fewest milliseconds between two writes. */
  intervalMs: number;
  write(pct: number | null, text: string): WriteResult;
  /** True once the attempt is stopped: nothing more is written. */
  isStopped(): boolean;
  /** Called when the ledger refuses a write (the lease is lost). */
  onLost(): void;
  log: Logger;
  fields: Record<string, unknown>;
}

/** An attempt's progress writes, throttled to one per interval with the newest text kept. */
export interface ProgressThrottle {
  /** Keeps this report as the newest; writes it now, or once the interval since the last write ends. */
  report(pct: number | null, text: string): void;
  /** Writes a report still waiting, unless the attempt is stopped. */
  flush(): void;
  /** Cancels a pending write. */
  clear(): void;
}

/**
 * Creates the throttle, so a chatty worker costs one event per interval at most; a failed write
 * keeps the text for the next try.
 */
export function createProgressThrottle(options: ProgressThrottleOptions): ProgressThrottle {
  const { intervalMs, log, fields } = options;
  let lastWriteAt = 0;
  let pending: { pct: number | null; text: string } | undefined;
  let timer: NodeJS.Timeout | undefined;
  const writePending = (): void => {
    timer = undefined;
    if (!pending || options.isStopped()) return;
    const { pct, text } = pending;
    lastWriteAt = Date.now();
    try {
      const res = options.write(pct, text);
      pending = undefined;
      if (!res.ok) options.onLost();
    } catch (err) {
      log.warn('progress write failed; will retry', { ...fields, error: describeError(err) });
      timer = setTimeout(writePending, intervalMs);
    }
  };
  return {
    report(pct, text) {
      pending = { pct, text };
      const wait = intervalMs - (Date.now() - lastWriteAt);
      if (wait <= 0 && !timer) writePending();
      else timer ??= setTimeout(writePending, Math.max(0, wait));
    },
    flush() {
      if (pending && !options.isStopped()) writePending();
    },
    clear() {
      if (timer) clearTimeout(timer);
    },
  };
}
