/**
 * Schedules as people see them: when each fires next, what its last slot did, whether it is
 * paused. Shared by `/schedule list` and `chat-swarm schedule list`.
 */
import type { Ledger } from '../ledger/ledger.ts';
import type { ScheduleFireRow, ScheduleRow, ScheduleSummary } from '../ledger/schedule-ops.ts';
import { missedText, toDefinition, triggerText, type ScheduleDefinition } from './schedule-spec.ts';
import { slotClockOf } from './slot-clock.ts';
import { formatInZone } from './zone-time.ts';

/** The next slot after `afterMs`, shown in the schedule's zone, or `never`. */
export function nextRunText(d: ScheduleDefinition, afterMs: number): string {
  const next = slotClockOf(d).next(afterMs);
  return next === null ? 'never (no later date matches)' : formatInZone(next, d.timezone);
}

/** The texts a schedule's channel notices show (when it fires, its task, the next run). */
export function summaryOf(d: ScheduleDefinition, now: number): ScheduleSummary {
  return { trigger: triggerText(d), title: d.task.title, next: nextRunText(d, now) };
}

/** One schedule for a list; `--json` prints these. */
export interface ScheduleView {
  id: string;
  source: string;
  status: string;
  trigger: string;
  title: string;
  missed: string;
  overlap: string;
  /** The next slot, in the schedule's zone; null when paused, removed or never. */
  next: string | null;
  nextAt: number | null;
  /** The last slot and what came of it (its task and the task's state, a skip, missed slots). */
  last: string | null;
  /** Slots skipped (overlap) since its last task. */
  skippedSinceLastTask: number;
  openTask: string | null;
  removedReason: string | null;
}

function lastText(
  ledger: Ledger,
  d: ScheduleDefinition | undefined,
  fire: ScheduleFireRow | undefined,
): string | null {
  if (!fire) return null;
  const when = d ? formatInZone(fire.slot_at, d.timezone) : new Date(fire.slot_at).toISOString();
  switch (fire.outcome) {
    case 'created':
    case 'exists': {
      const task = fire.task_id ? ledger.getTask(fire.task_id) : undefined;
      const how = fire.kind === 'manual' ? ' (run now)' : '';
      return `${when}${how}: ${fire.task_id ?? '?'} ${task?.status ?? 'gone'}`;
    }
    case 'skipped':
      return `${when}: skipped, ${fire.task_id ?? 'a task'} was still open`;
    case 'missed':
      return `${when}: ${fire.detail ?? 'missed'}`;
  }
}

/** Every schedule (removed ones too when asked), with next and last runs as of `now`. */
export function viewSchedules(ledger: Ledger, now: number, includeRemoved = false): ScheduleView[] {
  return ledger.listSchedules(includeRemoved).map((row) => viewSchedule(ledger, row, now));
}

function viewSchedule(ledger: Ledger, row: ScheduleRow, now: number): ScheduleView {
  const d = toDefinition(row.definition);
  const history = ledger.scheduleHistory(row.id);
  const nextAt = d && row.status === 'active' ? slotClockOf(d).next(Math.max(row.cursor_at, now)) : null;
  return {
    id: row.id,
    source: row.source,
    status: row.status,
    trigger: d ? triggerText(d) : 'unreadable definition',
    title: d?.task.title ?? '',
    missed: d ? missedText(d.missed) : '',
    overlap: d?.overlap ?? '',
    next: nextAt !== null && d ? formatInZone(nextAt, d.timezone) : null,
    nextAt,
    last: lastText(ledger, d, history.last),
    skippedSinceLastTask: history.skipped,
    openTask: history.open,
    removedReason: row.removed_reason,
  };
}

const MARK: Record<string, string> = { active: '🗓', paused: '⏸', removed: '🗑' };

/** The list as text: one paragraph of two lines per schedule. */
export function renderScheduleList(views: ScheduleView[]): string {
  if (views.length === 0) return 'no schedules; add one with /schedule add (or in the config file)';
  return views
    .map((v) => {
      const state =
        v.status === 'paused'
          ? 'PAUSED (/schedule resume to go on)'
          : v.status === 'removed'
            ? `removed: ${v.removedReason ?? ''}`
            : `next ${v.next ?? 'never'}`;
      const skipped = v.skippedSinceLastTask
        ? ` · ${v.skippedSinceLastTask} slot(s) skipped since (overlap)`
        : '';
      return [
        `${MARK[v.status] ?? '🗓'} ${v.id} [${v.source}] ${v.trigger} → "${v.title}"`,
        `   ${state} · last ${v.last ?? 'none yet'}${skipped} · missed=${v.missed} overlap=${v.overlap}`,
      ].join('\n');
    })
    .join('\n');
}
