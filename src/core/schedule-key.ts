/**
 * The task key a schedule gives each task it makes: `sch.<schedule>.<slot in UTC>` for a slot
 * (`sch.nightly-report.20261025T003000Z`) and `sch.<schedule>.run.<time with ms>` for a run-now.
 * The key is the task's idempotency key, so one slot can never make a second task, and it tells
 * anyone reading the task where it came from. Keys follow the task-key rule (`task-key.ts`).
 */

/** A schedule id: lowercase letters, digits, `-` and `_`, at most 32, so its task keys stay within 64. */
export const SCHEDULE_ID_PATTERN = /^[a-z0-9][a-z0-9_-]{0,31}$/;

/** The schedule id rule in words, for refusals. */
export const SCHEDULE_ID_RULE =
  'a schedule id is 1 to 32 lowercase letters, digits, - and _, starting with a letter or digit';

const PREFIX = 'sch';

/** `20261025T003000Z`, or with milliseconds `20261025T003000123Z`. */
function stamp(ms: number, withMs: boolean): string {
  const iso = new Date(ms).toISOString(); // 2026-10-25T00:30:00.123Z
  const base = `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}T${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}`;
  return withMs ? `${base}${iso.slice(20, 23)}Z` : `${base}Z`;
}

function unstamp(text: string): number | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})(\d{3})?Z$/.exec(text);
  if (!m) return undefined;
  const ms = Date.UTC(
    Number(m[1]),
    Number(m[2]) - 1,
    Number(m[3]),
    Number(m[4]),
    Number(m[5]),
    Number(m[6]),
    Number(m[7] ?? 0),
  );
  return Number.isNaN(ms) ? undefined : ms;
}

/** The key of the task for one slot of a schedule (slots are whole seconds). */
export function slotTaskKey(scheduleId: string, slotAt: number): string {
  return `${PREFIX}.${scheduleId}.${stamp(slotAt, false)}`;
}

/** The key of a task started by hand (`/schedule run`) at `at`. */
export function manualRunTaskKey(scheduleId: string, at: number): string {
  return `${PREFIX}.${scheduleId}.run.${stamp(at, true)}`;
}

/** Where a schedule's task came from, read back from its key. */
export interface ScheduleOrigin {
  scheduleId: string;
  /** The slot's time, or the time of a run-now. */
  at: number;
  manual: boolean;
}

/** The schedule and slot a task key names, or undefined when the key is not a schedule's. */
export function scheduleOriginOf(key: string | null | undefined): ScheduleOrigin | undefined {
  if (!key?.startsWith(`${PREFIX}.`)) return undefined;
  const parts = key.split('.');
  const [, id, third, fourth] = parts;
  if (id === undefined || !SCHEDULE_ID_PATTERN.test(id)) return undefined;
  if (parts.length === 3 && third !== undefined) {
    const at = unstamp(third);
    return at === undefined ? undefined : { scheduleId: id, at, manual: false };
  }
  if (parts.length === 4 && third === 'run' && fourth !== undefined) {
    const at = unstamp(fourth);
    return at === undefined ? undefined : { scheduleId: id, at, manual: true };
  }
  return undefined;
}
