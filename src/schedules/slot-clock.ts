/**
 * The slots of a schedule: the instants it fires at. A cron expression names wall-clock times in
 * its zone, read by croner; on a daylight-saving day a wall-clock time that does not exist is not
 * run at all (nothing is invented in its place), and one that happens twice runs once, at its
 * first occurrence. An interval (`every`) is real time and ignores the zone.
 * @see https://croner.56k.guru/ (croner's own DST rules, which this narrows as described)
 */
import { Cron } from 'croner';
import { CRON_OPTIONS, type ScheduleDefinition } from './schedule-spec.ts';
import { wallClockAt, wallMs } from './zone-time.ts';

/** The slots of one schedule. */
export interface SlotClock {
  /** The first slot strictly after `afterMs`, or null when there is none. */
  next(afterMs: number): number | null;
  /** Up to `count` slots after `afterMs` and at or before `uptoMs`, oldest first. */
  between(afterMs: number, uptoMs: number, count: number): number[];
  /** The newest `count` slots after `afterMs` and at or before `uptoMs`, oldest first. */
  newest(afterMs: number, uptoMs: number, count: number): number[];
}

/** The sizes of every daylight-saving shift in the tz database: 30 minutes, one hour, two hours. */
const DST_SHIFTS_MS = [1_800_000, 3_600_000, 7_200_000] as const;
/** How many candidates croner may offer in a row that the DST rule turns down (a repeated hour of seconds). */
const MAX_REJECTS = 8_000;

/** Builds the slot clock of a definition. */
export function slotClockOf(d: ScheduleDefinition): SlotClock {
  if (d.everyMs !== undefined) return intervalClock(d.everyMs);
  return cronClock(d.cron ?? '', d.timezone);
}

function intervalClock(everyMs: number): SlotClock {
  const next = (after: number): number => Math.floor(after / everyMs) * everyMs + everyMs;
  return {
    next,
    between(after, upto, count) {
      const out: number[] = [];
      for (let t = next(after); t <= upto && out.length < count; t += everyMs) out.push(t);
      return out;
    },
    newest(after, upto, count) {
      const out: number[] = [];
      for (let t = Math.floor(upto / everyMs) * everyMs; t > after && out.length < count; t -= everyMs)
        out.push(t);
      return out.reverse();
    },
  };
}

function cronClock(expression: string, zone: string): SlotClock {
  const job = new Cron(expression, { ...CRON_OPTIONS, timezone: zone });

  /** True for a slot croner moved out of a DST gap, or the second pass through a repeated time. */
  const refused = (t: number): boolean => {
    if (!job.match(new Date(t))) return true;
    const wall = wallMs(wallClockAt(t, zone));
    return DST_SHIFTS_MS.some((shift) => wallMs(wallClockAt(t - shift, zone)) === wall);
  };

  const next = (after: number): number | null => {
    let from = after;
    for (let i = 0; i < MAX_REJECTS; i++) {
      const t = job.nextRun(new Date(from))?.getTime();
      if (t === undefined) return null;
      if (!refused(t)) return t;
      from = t;
    }
    return null;
  };

  return {
    next,
    between(after, upto, count) {
      const out: number[] = [];
      for (let t = next(after); t !== null && t <= upto && out.length < count; t = next(t)) out.push(t);
      return out;
    },
    newest(after, upto, count) {
      // previousRuns counts back from strictly before its reference: one ms past `upto` includes it.
      const out: number[] = [];
      let ref = upto + 1;
      while (out.length < count) {
        const batch = job.previousRuns(Math.min(count * 2, 500), new Date(ref)).map((d) => d.getTime());
        if (batch.length === 0) break;
        for (const t of batch) {
          if (t <= after) return out.reverse();
          if (!refused(t)) out.push(t);
          if (out.length === count) break;
        }
        ref = batch[batch.length - 1]!;
      }
      return out.reverse();
    },
  };
}
