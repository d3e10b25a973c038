import { z } from 'zod';
import type { Ledger } from '../ledger/ledger.ts';
import { storedQueuedCursor } from '../ledger/outbox-queue.ts';
import { LAST_RATE_LIMIT_KEY } from '../orchestrator/outbox-poster.ts';
import { PLATFORM_PACING, type PosterOptions } from '../orchestrator/poster-options.ts';

/** How well the chat mirror keeps up: backlog, failures, pace against the platform's budget. */
export interface MirrorHealth {
  platform: string;
  /** Messages waiting in the outbox (due or backing off); an event not queued yet counts as one. */
  backlog: number;
  /** Created time of the oldest waiting message. */
  oldestPendingAt: number | null;
  /** Rows that could not be posted and are not retried. */
  failed: number;
  /** The newest failure's reason. */
  lastFailure: string | null;
  sentLastMinute: number;
  /** What the poster's pacing allows per minute on this platform (null: no fixed budget). */
  budgetPerMinute: number | null;
  /** The platform's last 429, as the poster recorded it. */
  last429: { at: number; retryAfterMs: number } | null;
}

/** Platforms whose message budget the board shows. */
const RATE_LIMITED: ReadonlySet<string> = new Set(['telegram', 'discord']);

const rateLimitSchema = z.object({ at: z.number(), retryAfterMs: z.number() });

/** Messages a minute the pacing allows: its window scaled to a minute, and no more than one per `minIntervalMs`. */
export function budgetPerMinute(pacing: Partial<PosterOptions>): number | null {
  if (!pacing.perWindow || !pacing.perWindowMs) return null;
  const byWindow = (pacing.perWindow * 60_000) / pacing.perWindowMs;
  const byInterval = pacing.minIntervalMs ? 60_000 / pacing.minIntervalMs : Infinity;
  return Math.floor(Math.min(byWindow, byInterval));
}

/** Reads the mirror's health from the outbox (a few counts) and the poster's 429 record. */
export function mirrorHealth(
  ledger: Ledger,
  platform: string,
  pacing?: Partial<PosterOptions>,
): MirrorHealth {
  const core = ledger.core;
  const now = core.now();
  // Both counts from one snapshot: a batch queued between two reads would be in neither.
  const { pending, unqueued } = ledger.db.transaction(() => ({
    pending: core
      .sql("SELECT COUNT(*) AS n, MIN(created_at) AS oldest FROM outbox WHERE status = 'pending'")
      .get() as Waiting,
    unqueued: unqueuedEvents(core),
  }))();
  const failed = core.sql("SELECT COUNT(*) AS n FROM outbox WHERE status = 'failed'").get() as { n: number };
  const lastFailure = failed.n
    ? ((
        core.sql("SELECT last_error FROM outbox WHERE status = 'failed' ORDER BY id DESC LIMIT 1").get() as
          { last_error: string | null } | undefined
      )?.last_error ?? null)
    : null;
  const sent = core
    .sql("SELECT COUNT(*) AS n FROM outbox WHERE status = 'sent' AND sent_at > ?")
    .get(now - 60_000) as { n: number };
  let last429: MirrorHealth['last429'] = null;
  const raw = ledger.getKv(LAST_RATE_LIMIT_KEY);
  if (raw) {
    try {
      const parsed = rateLimitSchema.safeParse(JSON.parse(raw));
      if (parsed.success) last429 = parsed.data;
    } catch {
      // A damaged record shows as none; the poster writes a fresh one at the next 429.
    }
  }
  return {
    platform,
    backlog: pending.n + unqueued.n,
    oldestPendingAt: minOf(pending.oldest, unqueued.oldest),
    failed: failed.n,
    lastFailure: lastFailure === null ? null : lastFailure.slice(0, 300),
    sentLastMinute: sent.n,
    // The console and the memory channel have no platform limit worth showing.
    budgetPerMinute: RATE_LIMITED.has(platform)
      ? budgetPerMinute(pacing ?? PLATFORM_PACING[platform] ?? {})
      : null,
    last429,
  };
}

interface Waiting {
  n: number;
  oldest: number | null;
}

/**
 * Events meant for the channel that the poster has not turned into rows yet (it does on its next
 * look): waiting all the same. None on a ledger from before the cursor (read-only, not upgraded).
 */
function unqueuedEvents(core: Ledger['core']): Waiting {
  const cursor = storedQueuedCursor(core.db);
  if (cursor === undefined) return { n: 0, oldest: null };
  return core
    .sql('SELECT COUNT(*) AS n, MIN(at) AS oldest FROM events WHERE seq > ? AND mirrored = 1')
    .get(cursor) as Waiting;
}

function minOf(a: number | null, b: number | null): number | null {
  if (a === null) return b;
  return b === null ? a : Math.min(a, b);
}
