/**
 * Telegram's limits with time divided by a factor, applied alike to the fake server, the adapter's
 * limiter and the poster's pacing. Same shape as the platform (1 a second per chat, 20 a minute per
 * group, 30 a second per bot), only faster, so a test of minutes of real traffic runs in seconds.
 */
import type { TelegramRateLimits } from '../../../adapters/telegram/telegram-rate-limiter.ts';
import { PLATFORM_PACING, type PosterOptions } from '../../../src/orchestrator/poster-options.ts';
import { DEFAULT_FLOOD_LIMITS, type FloodLimits } from '../../fakes/telegram/flood-control.ts';

/** Windows shared by the fake (flood control) and the adapter (rate limiter). */
export function scaledTelegramLimits(timeScale: number): FloodLimits & TelegramRateLimits {
  const scale = (w: { max: number; windowMs: number }) => ({
    max: w.max,
    windowMs: Math.ceil(w.windowMs / timeScale),
  });
  return {
    perChat: scale(DEFAULT_FLOOD_LIMITS.perChat),
    perGroup: scale(DEFAULT_FLOOD_LIMITS.perGroup),
    global: scale(DEFAULT_FLOOD_LIMITS.global),
  };
}

/** The poster's Telegram pacing (19 a minute, 1.05 s apart) on the same compressed clock. */
export function scaledTelegramPacing(timeScale: number): Partial<PosterOptions> {
  const real = PLATFORM_PACING.telegram!;
  return {
    perWindow: real.perWindow!,
    perWindowMs: Math.ceil(real.perWindowMs! / timeScale),
    minIntervalMs: Math.ceil(real.minIntervalMs! / timeScale),
  };
}
