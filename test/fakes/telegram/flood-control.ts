/**
 * Flood control of the fake Bot API, per bot: sliding windows for one chat, one group and the bot
 * overall, counting accepted messages and edits. Windows are configurable so tests can shrink a
 * minute to a fraction of a second; the clock is injected.
 */

/** At most `max` messages in any `windowMs`. */
export interface WindowLimit {
  max: number;
  windowMs: number;
}

export interface FloodLimits {
  /** Any one chat (the platform: about 1 a second). */
  perChat: WindowLimit;
  /** A group or supergroup (the platform: about 20 a minute). */
  perGroup: WindowLimit;
  /** Everything one bot sends (the platform: about 30 a second). */
  global: WindowLimit;
}

/** Limits shaped like the real platform's. */
export const DEFAULT_FLOOD_LIMITS = {
  perChat: { max: 1, windowMs: 1_000 },
  perGroup: { max: 20, windowMs: 60_000 },
  global: { max: 30, windowMs: 1_000 },
} as const satisfies FloodLimits;

/** Decides whether a bot may send now; `retryAfterSeconds` when it may not. */
export interface FloodControl {
  check(botId: number, chatId: number, isGroup: boolean): { retryAfterSeconds: number } | undefined;
  record(botId: number, chatId: number, isGroup: boolean): void;
}

/** Creates flood control over `limits` with the clock `now` (ms). */
export function createFloodControl(limits: FloodLimits, now: () => number): FloodControl {
  const history = new Map<string, number[]>();
  const keysFor = (botId: number, chatId: number, isGroup: boolean): Array<[string, WindowLimit]> => {
    const keys: Array<[string, WindowLimit]> = [
      [`${botId}/chat/${chatId}`, limits.perChat],
      [`${botId}/all`, limits.global],
    ];
    if (isGroup) keys.push([`${botId}/group/${chatId}`, limits.perGroup]);
    return keys;
  };
  const recent = (key: string, limit: WindowLimit, at: number): number[] => {
    const kept = (history.get(key) ?? []).filter((t) => t > at - limit.windowMs);
    history.set(key, kept);
    return kept;
  };
  return {
    check(botId, chatId, isGroup) {
      const at = now();
      let waitMs = 0;
      for (const [key, limit] of keysFor(botId, chatId, isGroup)) {
        const times = recent(key, limit, at);
        if (times.length >= limit.max) {
          const oldest = times[times.length - limit.max]!;
          waitMs = Math.max(waitMs, oldest + limit.windowMs - at);
        }
      }
      // The real server answers whole seconds, never zero.
      return waitMs > 0 ? { retryAfterSeconds: Math.max(1, Math.ceil(waitMs / 1_000)) } : undefined;
    },
    record(botId, chatId, isGroup) {
      const at = now();
      for (const [key, limit] of keysFor(botId, chatId, isGroup)) recent(key, limit, at).push(at);
    },
  };
}
