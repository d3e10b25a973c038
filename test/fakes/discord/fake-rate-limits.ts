/**
 * Rate limiting the way Discord does it: each bot has buckets keyed by route group and major
 * parameter (the channel id), each a fixed window that starts with its first request, plus a global
 * per-bot limit per second. Every response carries the bucket's headers; an exhausted bucket is
 * answered with 429, `Retry-After` and the JSON body. Windows only end with time, never with an
 * outage: a client cut off from Discord comes back to the counts it left.
 */

export interface BucketRule {
  /** The value of X-RateLimit-Bucket (Discord sends an opaque hash per route group). */
  hash: string;
  limit: number;
  windowMs: number;
}

export interface RateLimitSettings {
  /** Message create/edit/delete in one channel or thread (Discord: observed 5 per 5 s). */
  messages: { limit: number; windowMs: number };
  /** Every other route, per route group and major parameter. */
  other: { limit: number; windowMs: number };
  /** Requests per second per bot across all routes (Discord: 50). */
  globalPerSecond: number;
}

export const DEFAULT_RATE_LIMITS = {
  messages: { limit: 5, windowMs: 5_000 },
  other: { limit: 20, windowMs: 1_000 },
  globalPerSecond: 50,
} as const satisfies RateLimitSettings;

interface Window {
  startedAt: number;
  count: number;
}

export interface RateDecision {
  headers: Record<string, string>;
  /** Set when the request must be refused with a 429. */
  limited?: { retryAfterMs: number; global: boolean };
}

/** Per-bot bucket and global windows; `now` is injected so the fake can share one clock. */
export class FakeRateLimiter {
  private readonly buckets = new Map<string, Window>();
  private readonly globals = new Map<string, Window>();

  constructor(
    private readonly settings: RateLimitSettings,
    private readonly now: () => number = Date.now,
  ) {}

  /** The rule for a route group: messages routes share one bucket per channel, like Discord's. */
  ruleFor(group: string): BucketRule {
    if (group === 'messages') return { hash: 'msg80a1c', ...this.settings.messages };
    return { hash: `oth${hashText(group)}`, ...this.settings.other };
  }

  /** Counts one request by `botId` against `group` + `major` and the global limit. */
  take(botId: string, group: string, major: string): RateDecision {
    const t = this.now();
    const globalWindow = this.windowOf(this.globals, botId, 1_000, t);
    if (globalWindow.count >= this.settings.globalPerSecond) {
      const retryAfterMs = globalWindow.startedAt + 1_000 - t;
      return {
        headers: { 'X-RateLimit-Global': 'true', 'X-RateLimit-Scope': 'global' },
        limited: { retryAfterMs, global: true },
      };
    }
    const rule = this.ruleFor(group);
    const bucket = this.windowOf(this.buckets, `${botId}:${rule.hash}:${major}`, rule.windowMs, t);
    const resetAt = bucket.startedAt + rule.windowMs;
    if (bucket.count >= rule.limit) {
      return {
        headers: { ...bucketHeaders(rule, 0, resetAt, t), 'X-RateLimit-Scope': 'user' },
        limited: { retryAfterMs: resetAt - t, global: false },
      };
    }
    bucket.count += 1;
    globalWindow.count += 1;
    return { headers: bucketHeaders(rule, rule.limit - bucket.count, resetAt, t) };
  }

  private windowOf(map: Map<string, Window>, key: string, windowMs: number, t: number): Window {
    let w = map.get(key);
    if (!w || t >= w.startedAt + windowMs) {
      w = { startedAt: t, count: 0 };
      map.set(key, w);
    }
    return w;
  }
}

function bucketHeaders(
  rule: BucketRule,
  remaining: number,
  resetAt: number,
  t: number,
): Record<string, string> {
  return {
    'X-RateLimit-Limit': String(rule.limit),
    'X-RateLimit-Remaining': String(remaining),
    'X-RateLimit-Reset': (resetAt / 1_000).toFixed(3),
    'X-RateLimit-Reset-After': (Math.max(0, resetAt - t) / 1_000).toFixed(3),
    'X-RateLimit-Bucket': rule.hash,
  };
}

function hashText(text: string): string {
  let h = 0;
  for (const ch of text) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
  return h.toString(16);
}
