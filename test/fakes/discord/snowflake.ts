/** Discord's epoch (2015-01-01T00:00:00Z) in milliseconds; snowflakes count from it. */
export const DISCORD_EPOCH_MS = 1_420_070_400_000;

/**
 * Makes Discord-shaped snowflakes from the clock: `(ms - epoch) << 22` plus an increment, so ids are
 * 18–19 digits today and strictly increasing within one generator, like the real ones.
 */
export function createSnowflakeGenerator(now: () => number = Date.now): () => string {
  let last = 0n;
  return () => {
    const fromTime = BigInt(now() - DISCORD_EPOCH_MS) << 22n;
    last = fromTime > last ? fromTime : last + 1n;
    return last.toString();
  };
}

/** Milliseconds since the Unix epoch encoded in a snowflake. */
export function snowflakeTime(id: string): number {
  return Number(BigInt(id) >> 22n) + DISCORD_EPOCH_MS;
}

/** Orders two snowflakes numerically (they are too long for Number). */
export function compareSnowflakes(a: string, b: string): number {
  const x = BigInt(a);
  const y = BigInt(b);
  return x < y ? -1 : x > y ? 1 : 0;
}
