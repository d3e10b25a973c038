/**
 * Wall-clock time in an IANA time zone, through `Intl` (Node ships the tz database), so a schedule's
 * slots can be checked and shown in the zone its people live in.
 */

const formatters = new Map<string, Intl.DateTimeFormat>();
const usNames = new Map<string, Intl.DateTimeFormat>();

/** The zone's short name: British English knows CET/CEST and GMT/BST, American English EST/PDT. */
function abbreviation(ms: number, zone: string, british: string | undefined): string {
  if (british !== undefined && !/^GMT[+-]/.test(british)) return british;
  let f = usNames.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone: zone, timeZoneName: 'short' });
    usNames.set(zone, f);
  }
  const us = f.formatToParts(new Date(ms)).find((p) => p.type === 'timeZoneName')?.value;
  return us ?? british ?? zone;
}

function formatter(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-GB', {
      timeZone: zone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      hourCycle: 'h23',
      timeZoneName: 'short',
    });
    formatters.set(zone, f);
  }
  return f;
}

/** The zone's canonical name (`europe/berlin` gives `Europe/Berlin`), or undefined if there is no such zone. */
export function resolveTimeZone(name: string): string | undefined {
  if (!/^[A-Za-z][A-Za-z0-9_+\-/]{0,63}$/.test(name)) return undefined;
  try {
    return new Intl.DateTimeFormat('en-GB', { timeZone: name }).resolvedOptions().timeZone;
  } catch {
    return undefined;
  }
}

/** The zone of this machine, the default for schedules that name none. */
export function hostTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone;
}

/** A moment as the zone's clocks show it. */
export interface WallClock {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  /** The zone's abbreviation at that moment (`CEST`, `CET`, or `GMT+1` where there is none). */
  abbr: string;
}

/** What the clocks in `zone` show at `ms`. */
export function wallClockAt(ms: number, zone: string): WallClock {
  const parts: Record<string, string> = {};
  for (const p of formatter(zone).formatToParts(new Date(ms))) parts[p.type] = p.value;
  return {
    year: Number(parts.year),
    month: Number(parts.month),
    day: Number(parts.day),
    hour: Number(parts.hour),
    minute: Number(parts.minute),
    second: Number(parts.second),
    abbr: abbreviation(ms, zone, parts.timeZoneName),
  };
}

/** The wall-clock reading as one comparable number (not an instant: local time as if it were UTC). */
export function wallMs(w: WallClock): number {
  return Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second);
}

const two = (n: number): string => String(n).padStart(2, '0');

/** `2026-10-25 02:30 CEST` (seconds only when not zero), for messages and lists. */
export function formatInZone(ms: number, zone: string): string {
  const w = wallClockAt(ms, zone);
  const seconds = w.second !== 0 ? `:${two(w.second)}` : '';
  return `${w.year}-${two(w.month)}-${two(w.day)} ${two(w.hour)}:${two(w.minute)}${seconds} ${w.abbr}`;
}
