/**
 * Long polling for the orchestrator's bot, on grammY's Api. Written out instead of `bot.start()`
 * because the swarm needs: updates confirmed only after the handler ran (a crash replays them, the
 * server keeps them 24 hours), every wait abortable so `stop()` leaves no timer behind, outages
 * retried with backoff forever, and 409 (another poller on this token) reported and retried slowly
 * rather than ending polling or fighting the other poller in a tight loop. A server or proxy that
 * ignores `timeout` (answers at once with nothing) is polled at most once per `minPollIntervalMs`.
 * @see https://core.telegram.org/bots/api#getupdates
 */
import { GrammyError, type Api } from 'grammy';
import type { Update } from 'grammy/types';
import type { Logger } from '../../src/core/logger.ts';
import { retryAfterMsOf, toChatError } from './to-chat-error.ts';

/** Tunables of the polling loop. */
export interface TelegramPollingOptions {
  /** Long-poll timeout sent to getUpdates, in seconds. */
  timeoutSeconds: number;
  /** First and largest wait between retries while the server is unreachable. */
  retryMinMs: number;
  retryMaxMs: number;
  /** Wait after a 409 Conflict, doubled up to 8 times this while it repeats. */
  conflictRetryMs: number;
  /** Least time between the starts of two polls when the first came back empty. */
  minPollIntervalMs: number;
}

export const DEFAULT_TELEGRAM_POLLING = {
  timeoutSeconds: 30,
  retryMinMs: 500,
  retryMaxMs: 10_000,
  conflictRetryMs: 15_000,
  minPollIntervalMs: 1_000,
} as const satisfies TelegramPollingOptions;

// grammY types its signal parameter with the abort-controller polyfill's class; Node's is compatible.
type GrammySignal = Parameters<Api['getUpdates']>[1];

export interface TelegramPoller {
  /** Starts the loop in the background; `handle` gets each update once, in order. */
  start(handle: (update: Update) => Promise<void>): void;
  /** Ends the current long poll, confirms handled updates, and resolves when the loop is gone. */
  stop(): Promise<void>;
}

/** Creates a poller over `api` (which must carry the orchestrator's token). */
export function createTelegramPoller(api: Api, options: TelegramPollingOptions, log: Logger): TelegramPoller {
  let controller: AbortController | undefined;
  let loop: Promise<void> | undefined;
  let offset: number | undefined;

  const sleep = (ms: number, signal: AbortSignal): Promise<void> =>
    new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal.addEventListener('abort', done);
    });

  const run = async (handle: (update: Update) => Promise<void>, signal: AbortSignal): Promise<void> => {
    let failures = 0;
    let conflicts = 0;
    let quickEmptyPolls = 0;
    while (!signal.aborted) {
      let updates: Update[];
      const startedAt = Date.now();
      try {
        updates = await api.getUpdates(
          {
            timeout: options.timeoutSeconds,
            // Edits carry remote agents' heartbeats (only listened-to bots' edits are delivered);
            // button presses arrive as callback queries.
            allowed_updates: ['message', 'edited_message', 'callback_query'],
            ...(offset === undefined ? {} : { offset }),
          },
          signal as GrammySignal,
        );
      } catch (err) {
        if (signal.aborted) return;
        if (err instanceof GrammyError && err.error_code === 409) {
          conflicts += 1;
          const waitMs = options.conflictRetryMs * 2 ** Math.min(conflicts - 1, 3);
          log.error(
            'Telegram: another process is polling the orchestrator bot token (409 Conflict); only one orchestrator may run per bot token',
            { retryInMs: waitMs, conflicts },
          );
          await sleep(waitMs, signal);
        } else if (err instanceof GrammyError && err.error_code === 401) {
          log.error(
            'Telegram: the orchestrator bot token was rejected (401); polling stopped. Check the token with @BotFather',
          );
          return;
        } else {
          failures += 1;
          const waitMs =
            retryAfterMsOf(err) ??
            Math.min(options.retryMaxMs, options.retryMinMs * 2 ** Math.min(failures - 1, 10));
          const fields = { error: toChatError(err, 'getUpdates').message, retryInMs: waitMs, failures };
          if (failures === 1) log.warn('Telegram: polling failed, retrying', fields);
          else log.debug('Telegram: polling still failing', fields);
          await sleep(waitMs, signal);
        }
        continue;
      }
      if (failures > 0 || conflicts > 0)
        log.info('Telegram: polling resumed', { afterFailures: failures + conflicts });
      failures = 0;
      conflicts = 0;
      const elapsedMs = Date.now() - startedAt;
      if (updates.length === 0 && elapsedMs < options.minPollIntervalMs) {
        // A long poll ends early with nothing only when the server does not hold it: keep a gap.
        quickEmptyPolls += 1;
        if (quickEmptyPolls === 3) {
          log.warn(
            'Telegram: getUpdates answers at once without waiting (the server or a proxy ignores the long-poll timeout); keeping a gap between polls',
            { minPollIntervalMs: options.minPollIntervalMs },
          );
        }
        await sleep(options.minPollIntervalMs - elapsedMs, signal);
        continue;
      }
      if (updates.length === 0) quickEmptyPolls = 0;
      for (const update of updates) {
        if (signal.aborted) return;
        await handle(update);
        // Confirmed by the next getUpdates: a crash before it replays this update, never skips it.
        offset = update.update_id + 1;
      }
    }
  };

  return {
    start(handle) {
      if (loop) return;
      const abort = new AbortController();
      controller = abort;
      loop = run(handle, abort.signal).catch((err: unknown) => {
        log.error('Telegram: polling loop ended unexpectedly', {
          error: toChatError(err, 'getUpdates').message,
        });
      });
    },
    async stop() {
      if (!loop || !controller) return;
      controller.abort();
      await loop;
      loop = undefined;
      controller = undefined;
      if (offset === undefined) return;
      // Confirm what was handled, like grammY's stop(); an unreachable server just replays it later.
      const confirm = new AbortController();
      const timer = setTimeout(() => confirm.abort(), 2_000);
      try {
        await api.getUpdates({ offset, limit: 1, timeout: 0 }, confirm.signal as GrammySignal);
      } catch {
        log.debug('Telegram: could not confirm the last updates at stop; they will be delivered again');
      } finally {
        clearTimeout(timer);
      }
    },
  };
}
