/**
 * Schedules in the ledger: their definitions and their state (active, paused, removed). The ledger
 * stores a definition as opaque JSON apart from its task template; what a definition means (cron,
 * zones, policies) is `src/schedules/`'s business. Firing slots is `schedule-fire-ops.ts`.
 */
import { LedgerError } from '../core/errors.ts';
import type { LedgerCore } from './ledger-core.ts';

/** Where a schedule was made: the config file (read-only from the chat), the chat, or the CLI. */
export type ScheduleSource = 'config' | 'chat' | 'cli';
export type ScheduleStatus = 'active' | 'paused' | 'removed';

/** A row of the schedules table. */
export interface ScheduleRow {
  id: string;
  source: ScheduleSource;
  definition: string;
  status: ScheduleStatus;
  /** Every slot at or before this instant has been handled (fired, skipped or missed). */
  cursor_at: number;
  created_by: string;
  created_at: number;
  updated_at: number;
  removed_reason: string | null;
}

/** A row of schedule_fires: one slot fired, skipped or missed, or one run-now. */
export interface ScheduleFireRow {
  id: number;
  schedule_id: string;
  slot_at: number;
  /** slot: a slot of the schedule; manual: a run-now; missed: a summary of missed slots. */
  kind: 'slot' | 'manual' | 'missed';
  /** created or exists (its task), skipped (overlap; task_id is the open task), missed. */
  outcome: 'created' | 'exists' | 'skipped' | 'missed';
  task_id: string | null;
  detail: string | null;
  at: number;
}

/** Texts for the channel that only the schedule module can compute (when it fires next). */
export interface ScheduleSummary {
  trigger: string;
  title: string;
  next: string;
}

export function getSchedule(core: LedgerCore, id: string): ScheduleRow | undefined {
  return core.sql('SELECT * FROM schedules WHERE id = ?').get(id) as ScheduleRow | undefined;
}

/** The schedule, unless it does not exist or was removed (a LedgerError that says so). */
export function requireSchedule(core: LedgerCore, id: string): ScheduleRow {
  const row = getSchedule(core, id);
  if (!row || row.status === 'removed')
    throw new LedgerError('unknown_schedule', `no schedule ${id}; /schedule list shows them`);
  return row;
}

/** Schedules, oldest first; removed ones only when asked. */
export function listSchedules(core: LedgerCore, includeRemoved = false): ScheduleRow[] {
  const where = includeRemoved ? '' : "WHERE status != 'removed'";
  return core.sql(`SELECT * FROM schedules ${where} ORDER BY created_at, id`).all() as ScheduleRow[];
}

/**
 * Adds a schedule made in the chat or the CLI. Its slots count from now. An id in use is refused;
 * the id of a removed schedule may be used again (its history stays).
 */
export function addSchedule(
  core: LedgerCore,
  input: {
    id: string;
    definition: string;
    source: Exclude<ScheduleSource, 'config'>;
    summary: ScheduleSummary;
  },
  actor: string,
): void {
  core.write(() => {
    const existing = getSchedule(core, input.id);
    if (existing && existing.status !== 'removed') {
      const where = existing.source === 'config' ? ' in the config file' : '';
      throw new LedgerError(
        'schedule_exists',
        `schedule ${input.id} exists already${where}; pick another id, or remove it first`,
      );
    }
    const now = core.now();
    if (existing) {
      core
        .sql(
          `UPDATE schedules SET source = ?, definition = ?, status = 'active', cursor_at = ?, created_by = ?,
             updated_at = ?, removed_reason = NULL WHERE id = ?`,
        )
        .run(input.source, input.definition, now, actor, now, input.id);
    } else {
      core
        .sql(
          `INSERT INTO schedules (id, source, definition, status, cursor_at, created_by, created_at, updated_at)
           VALUES (?,?,?,'active',?,?,?,?)`,
        )
        .run(input.id, input.source, input.definition, now, actor, now, now);
    }
    core.appendEvent({
      type: 'schedule_added',
      actor,
      data: { scheduleId: input.id, source: input.source, ...input.summary },
    });
  });
}

/** A config schedule as `syncConfigSchedules` takes it. */
export interface ConfigSchedule {
  id: string;
  definition: string;
  summary: ScheduleSummary;
}

/** What `syncConfigSchedules` changed, by schedule id. */
export interface ConfigSyncResult {
  added: string[];
  updated: string[];
  removed: string[];
}

/**
 * Makes the ledger's config schedules match the config, in one transaction: new ones are added
 * (slots count from now), changed ones updated (their slots count from now; a pause is kept), and
 * ones no longer in the config are marked removed, their history kept. Unchanged ones are untouched.
 */
export function syncConfigSchedules(core: LedgerCore, schedules: ConfigSchedule[]): ConfigSyncResult {
  return core.write(() => {
    const result: ConfigSyncResult = { added: [], updated: [], removed: [] };
    const now = core.now();
    const actor = 'config';
    for (const s of schedules) {
      const row = getSchedule(core, s.id);
      const data = { scheduleId: s.id, source: 'config', ...s.summary };
      if (!row) {
        core
          .sql(
            `INSERT INTO schedules (id, source, definition, status, cursor_at, created_by, created_at, updated_at)
             VALUES (?, 'config', ?, 'active', ?, ?, ?, ?)`,
          )
          .run(s.id, s.definition, now, actor, now, now);
        core.appendEvent({ type: 'schedule_added', actor, data });
        result.added.push(s.id);
        continue;
      }
      if (row.source === 'config' && row.status !== 'removed' && row.definition === s.definition) continue;
      const status = row.source === 'config' && row.status === 'paused' ? 'paused' : 'active';
      const reason =
        row.status === 'removed'
          ? 'back in the config'
          : row.source !== 'config'
            ? `now defined by the config (was made in the ${row.source})`
            : 'changed in the config';
      core
        .sql(
          `UPDATE schedules SET source = 'config', definition = ?, status = ?, cursor_at = MAX(cursor_at, ?),
             updated_at = ?, removed_reason = NULL WHERE id = ?`,
        )
        .run(s.definition, status, now, now, s.id);
      core.appendEvent({ type: 'schedule_updated', actor, data: { ...data, reason } });
      result.updated.push(s.id);
    }
    const wanted = new Set(schedules.map((s) => s.id));
    for (const row of listSchedules(core)) {
      if (row.source !== 'config' || wanted.has(row.id)) continue;
      const reason = 'no longer in the config';
      core
        .sql("UPDATE schedules SET status = 'removed', removed_reason = ?, updated_at = ? WHERE id = ?")
        .run(reason, now, row.id);
      core.appendEvent({ type: 'schedule_removed', actor, data: { scheduleId: row.id, reason } });
      result.removed.push(row.id);
    }
    return result;
  });
}

/**
 * Pauses or resumes a schedule. A resumed schedule counts its slots from now: slots that passed
 * while it was paused are not run. `next` is shown with the resume.
 */
export function setSchedulePaused(
  core: LedgerCore,
  id: string,
  paused: boolean,
  actor: string,
  next: () => string,
): void {
  core.write(() => {
    const row = requireSchedule(core, id);
    if (paused === (row.status === 'paused'))
      throw new LedgerError('bad_state', `schedule ${id} is ${paused ? 'already paused' : 'not paused'}`);
    const now = core.now();
    if (paused) {
      core.sql("UPDATE schedules SET status = 'paused', updated_at = ? WHERE id = ?").run(now, id);
      core.appendEvent({ type: 'schedule_paused', actor, data: { scheduleId: id } });
    } else {
      core
        .sql(
          "UPDATE schedules SET status = 'active', cursor_at = MAX(cursor_at, ?), updated_at = ? WHERE id = ?",
        )
        .run(now, now, id);
      core.appendEvent({ type: 'schedule_resumed', actor, data: { scheduleId: id, next: next() } });
    }
  });
}

/** Removes a schedule made in the chat or CLI; a config schedule is refused with the way to stop it. */
export function removeSchedule(core: LedgerCore, id: string, actor: string): void {
  core.write(() => {
    const row = requireSchedule(core, id);
    if (row.source === 'config')
      throw new LedgerError(
        'config_schedule',
        `schedule ${id} is defined in the config file, which the swarm never rewrites: remove it there and restart, or /schedule pause ${id}`,
      );
    const now = core.now();
    const reason = `removed by ${actor.replace(/ \[[^\]]*\]$/, '')}`;
    core
      .sql("UPDATE schedules SET status = 'removed', removed_reason = ?, updated_at = ? WHERE id = ?")
      .run(reason, now, id);
    core.appendEvent({ type: 'schedule_removed', actor, data: { scheduleId: id, reason } });
  });
}
