/**
 * Rate limiting for one bot, shaped like Telegram's flood control so posts stay under it instead of
 * bouncing off it: per chat (about 1 a second), per group (about 20 a minute) and overall (about 30
 * a second), sends and edits alike. Each window is sliding and starts counting when a request
 * *finishes*, so network jitter can never squeeze two requests closer than the server allows.
 * After a 429, `hold` keeps everything for that chat back until `retry_after` has passed.
 * @see https://core.telegram.org/bots/faq#my-bot-is-hitting-limits-how-do-i-avoid-this
 */
import Bottleneck from 'bottleneck';
import { ChatError } from '../../src/core/errors.ts';

/** At most `max` requests in any `windowMs`. */
export interface RateWindow {
  max: number;
  windowMs: number;
}

export interface TelegramRateLimits {
  perChat: RateWindow;
  perGroup: RateWindow;
  global: RateWindow;
}

/** The platform's published limits. */
export const DEFAULT_TELEGRAM_RATE_LIMITS = {
  perChat: { max: 1, windowMs: 1_000 },
  perGroup: { max: 20, windowMs: 60_000 },
  global: { max: 30, windowMs: 1_000 },
} as const satisfies TelegramRateLimits;

export interface TelegramRateLimiter {
  /** Runs `task` (one API call to `chatKey`) when every window allows it; calls for one chat run one at a time. */
  schedule<T>(chatKey: string, task: () => Promise<T>): Promise<T>;
  /** Holds every call to `chatKey` until `ms` from now (a 429's retry_after). */
  hold(chatKey: string, ms: number): void;
  /** Rejects waiting calls and clears every timer. The limiter works again if used afterwards. */
  stop(): Promise<void>;
}

interface ChatLane {
  limiter: Bottleneck;
  finishedAt: number[];
  heldUntil: number;
}

/** Creates the limiter for one bot token. */
export function createTelegramRateLimiter(
  limits: TelegramRateLimits = DEFAULT_TELEGRAM_RATE_LIMITS,
  now: () => number = Date.now,
): TelegramRateLimiter {
  const timers = new Set<NodeJS.Timeout>();
  const sleepers = new Set<(err: Error) => void>();
  let global: Bottleneck | undefined;
  const lanes = new Map<string, ChatLane>();

  const later = (ms: number, fn: () => void): void => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      fn();
    }, ms);
    timers.add(timer);
  };
  const sleep = (ms: number): Promise<void> =>
    new Promise((resolve, reject) => {
      const abort = (err: Error): void => reject(err);
      sleepers.add(abort);
      later(ms, () => {
        sleepers.delete(abort);
        resolve();
      });
    });

  // A Bottleneck reservoir that gets each token back `windowMs` after the job that took it finished.
  const slidingLimiter = (window: RateWindow, maxConcurrent: number | null): Bottleneck => {
    const limiter = new Bottleneck({ reservoir: window.max, maxConcurrent });
    // 'done' fires after success and failure alike.
    limiter.on('done', () =>
      later(window.windowMs, () => void limiter.incrementReservoir(1).catch(() => {})),
    );
    return limiter;
  };
  const globalLimiter = (): Bottleneck => (global ??= slidingLimiter(limits.global, null));
  const lane = (chatKey: string): ChatLane => {
    let found = lanes.get(chatKey);
    if (!found) {
      found = { limiter: slidingLimiter(limits.perGroup, 1), finishedAt: [], heldUntil: 0 };
      lanes.set(chatKey, found);
    }
    return found;
  };

  // Waits inside the chat's lane (one call at a time) until the per-chat window and any hold allow a call.
  const waitForTurn = async (chat: ChatLane): Promise<void> => {
    for (;;) {
      const at = now();
      chat.finishedAt = chat.finishedAt.filter((t) => t > at - limits.perChat.windowMs);
      let readyAt = chat.heldUntil;
      if (chat.finishedAt.length >= limits.perChat.max) {
        readyAt = Math.max(
          readyAt,
          chat.finishedAt[chat.finishedAt.length - limits.perChat.max]! + limits.perChat.windowMs,
        );
      }
      if (readyAt <= at) return;
      await sleep(readyAt - at);
    }
  };

  return {
    schedule(chatKey, task) {
      const chat = lane(chatKey);
      return chat.limiter.schedule(async () => {
        await waitForTurn(chat);
        try {
          return await globalLimiter().schedule(task);
        } finally {
          chat.finishedAt.push(now());
        }
      });
    },
    hold(chatKey, ms) {
      const chat = lane(chatKey);
      chat.heldUntil = Math.max(chat.heldUntil, now() + ms);
    },
    async stop() {
      const stopped = new ChatError('Telegram channel stopped before the message was sent', {
        permanent: false,
      });
      for (const abort of sleepers) abort(stopped);
      sleepers.clear();
      const limiters = [...[...lanes.values()].map((l) => l.limiter), ...(global ? [global] : [])];
      lanes.clear();
      global = undefined;
      await Promise.all(
        limiters.map((l) =>
          l.stop({ dropWaitingJobs: true, dropErrorMessage: stopped.message }).catch(() => {}),
        ),
      );
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
    },
  };
}
