/** How the poster paces one channel, and when it switches to digests. */
export interface PosterOptions {
  /** Most messages in `perWindowMs` (Telegram group: 20 a minute; Discord channel: 5 per 5 s). */
  perWindow: number;
  perWindowMs: number;
  /** Least time between two sends (Telegram: 1 s per chat). */
  minIntervalMs: number;
  /** More due messages than this are merged into digest messages. */
  digestThreshold: number;
  /** Longest wait before a transient failure is retried. */
  maxRetryDelayMs: number;
  /** A non-ChatError (a bug) is retried this often before the row is marked failed. */
  maxUnexpectedFailures: number;
  /** How often the poster looks for rows written by other processes when idle. */
  idlePollMs: number;
}

export const POSTER_DEFAULTS = {
  perWindow: 1_000,
  perWindowMs: 1_000,
  minIntervalMs: 0,
  digestThreshold: 12,
  maxRetryDelayMs: 15_000,
  maxUnexpectedFailures: 8,
  idlePollMs: 50,
} as const satisfies PosterOptions;

/** Pacing that keeps each platform under its documented limits, with a margin. */
export const PLATFORM_PACING: Record<string, Partial<PosterOptions>> = {
  telegram: { perWindow: 19, perWindowMs: 60_000, minIntervalMs: 1_050 },
  discord: { perWindow: 5, perWindowMs: 5_200, minIntervalMs: 0 },
  console: { perWindow: 1_000, perWindowMs: 1_000, minIntervalMs: 0 },
  memory: { perWindow: 1_000, perWindowMs: 1_000, minIntervalMs: 0 },
};
