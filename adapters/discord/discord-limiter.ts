/**
 * Client-side pacing so the swarm stays under Discord's limits instead of bouncing off them: one
 * bottleneck queue per bot and channel (a thread is a channel of its own) holding a sliding window
 * of the channel budget, chained to one bottleneck per bot that spaces requests for the global
 * budget. The REST client's header-driven buckets still apply underneath.
 */
import Bottleneck from 'bottleneck';

export interface DiscordRateOptions {
  /** Requests per channel (message create and edit share the budget) per window. */
  perChannel: number;
  perChannelWindowMs: number;
  /** Requests per second per bot across every route. */
  globalPerSecond: number;
}

/** Discord's observed 5 per 5 s per channel and 50 per second, with headroom for latency jitter. */
export const DEFAULT_DISCORD_RATES = {
  perChannel: 5,
  perChannelWindowMs: 5_000,
  globalPerSecond: 45,
} as const satisfies DiscordRateOptions;

/** Extra spacing beyond the exact global budget, so arrival jitter never crowds one second. */
const SPACING_MARGIN = 1.05;

export interface DiscordLimiter {
  /** Runs `fn` when bot `botKey` may next use `channelId`. */
  schedule<T>(botKey: string, channelId: string, fn: () => Promise<T>): Promise<T>;
  /** Drops waiting jobs and releases every limiter. */
  stop(): Promise<void>;
}

export function createDiscordLimiter(rates: DiscordRateOptions = DEFAULT_DISCORD_RATES): DiscordLimiter {
  const globals = new Map<string, Bottleneck>();
  const channels = new Map<string, { limiter: Bottleneck; window: SlidingWindow }>();
  const globalFor = (botKey: string): Bottleneck => {
    let limiter = globals.get(botKey);
    if (!limiter) {
      limiter = new Bottleneck({ minTime: Math.ceil((1_000 / rates.globalPerSecond) * SPACING_MARGIN) });
      globals.set(botKey, limiter);
    }
    return limiter;
  };
  return {
    schedule(botKey, channelId, fn) {
      const key = `${botKey}:${channelId}`;
      let entry = channels.get(key);
      if (!entry) {
        const limiter = new Bottleneck({ maxConcurrent: 1 });
        limiter.chain(globalFor(botKey));
        entry = { limiter, window: createSlidingWindow(rates.perChannel, rates.perChannelWindowMs) };
        channels.set(key, entry);
      }
      const window = entry.window;
      return entry.limiter.schedule(() => window.run(fn));
    },
    async stop() {
      const all = [...[...channels.values()].map((c) => c.limiter), ...globals.values()];
      for (const c of channels.values()) c.window.cancel();
      channels.clear();
      globals.clear();
      await Promise.all(all.map((l) => l.stop({ dropWaitingJobs: true }).catch(() => undefined)));
    },
  };
}

interface SlidingWindow {
  run<T>(fn: () => Promise<T>): Promise<T>;
  cancel(): void;
}

/**
 * At most `limit` requests in any `windowMs`, whatever the latency: a request starts only once the
 * request `limit` places earlier has *finished* `windowMs` ago. Discord counted that one before it
 * answered, so the two can never arrive within one window, and Discord's fixed windows (which start
 * at a request we cannot see the timing of) are covered too. Jobs run one at a time per channel.
 */
function createSlidingWindow(limit: number, windowMs: number): SlidingWindow {
  const finishedAt: number[] = [];
  let timer: NodeJS.Timeout | undefined;
  let abort: ((err: Error) => void) | undefined;
  return {
    async run(fn) {
      const earlier = finishedAt.length >= limit ? finishedAt[finishedAt.length - limit] : undefined;
      const waitMs = earlier === undefined ? 0 : earlier + windowMs - Date.now();
      if (waitMs > 0) {
        await new Promise<void>((resolve, reject) => {
          abort = reject;
          timer = setTimeout(resolve, waitMs);
        });
        abort = undefined;
      }
      try {
        return await fn();
      } finally {
        finishedAt.push(Date.now());
        if (finishedAt.length > limit) finishedAt.shift();
      }
    },
    cancel() {
      clearTimeout(timer);
      abort?.(new Error('the Discord channel was stopped'));
    },
  };
}
