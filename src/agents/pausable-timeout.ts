/** A timeout that stops counting while paused, and on resume runs for the time it had left. */
export interface PausableTimeout {
  /** Starts (or restarts after a pause) counting down what is left. */
  resume(): void;
  /** Stops counting; what has elapsed so far is taken off the time left. */
  pause(): void;
  /** Cancels the pending timer for good. */
  clear(): void;
}

/**
 * Creates a paused timeout of `ms` that calls `onExpire` once the time runs out while resumed (an
 * attempt's timeout, paused while the task waits for a person's answer).
 */
export function createPausableTimeout(ms: number, onExpire: () => void): PausableTimeout {
  let timeLeftMs = ms;
  let startedAt = 0;
  let timer: NodeJS.Timeout | undefined;
  return {
    resume() {
      startedAt = Date.now();
      timer = setTimeout(onExpire, timeLeftMs);
    },
    pause() {
      if (timer) clearTimeout(timer);
      timer = undefined;
      timeLeftMs = Math.max(0, timeLeftMs - (Date.now() - startedAt));
    },
    clear() {
      if (timer) clearTimeout(timer);
    },
  };
}
