/**
 * Schedules in the ledger: their definitions, and the record of every slot they fired, skipped or
 * missed. A firing creates its task (keyed by schedule and slot), records the slot and moves the
 * schedule's cursor in one transaction, so no restart, clock jump, crash or second orchestrator
 * can make a second task for a slot. The ledger stores definitions as opaque JSON apart from the
 * task template; what a definition means (cron, zones, policies) is `src/schedules/`'s business.
 */
import { z } from 'zod';
import { LedgerError } from '../core/errors.ts';
import { manualRunTaskKey, slotTaskKey } from '../core/schedule-key.ts';
import type { LedgerCore } from './ledger-core.ts';
import { createTask, type NewTask } from './task-ops.ts';

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

/** One slot's fate in a plan. */
export type SlotAction =
  | { kind: 'run'; slotAt: number; label: string; late: boolean }
  | { kind: 'skip'; slotAt: number; label: string; blockedBy: string };

/** Slots that passed unseen, and what the missed policy did with them. */
export interface MissedSummary {
  count: number;
  /** True when there were more than `count` (too many to list). */
  more: boolean;
  policy: string;
  cap: number;
  /** How many of the missed slots run. */
  ranCount: number;
  /** The newest slot that runs now (missed or on time), if the policy runs one. */
  latest: string | null;
  /** The oldest missed slot passed before this scheduler started. */
  whileDown: boolean;
  oldest: string;
  newest: string;
}

/** What a schedule does now, decided by `planSlots` from the row it is handed. */
export interface FirePlan {
  /** The new cursor: the newest slot the plan handled. */
  cursorAt: number;
  actions: SlotAction[];
  missed?: MissedSummary;
}

/** What `fireSchedule` hands the planner, read inside the write transaction. */
export interface FireState {
  row: ScheduleRow;
  now: number;
  openTaskId: string | null;
}

/** Texts for the channel that only the schedule module can compute (when it fires next). */
export interface ScheduleSummary {
  trigger: string;
  title: string;
  next: string;
}

const templateSchema = z.object({
  title: z.string(),
  body: z.string(),
  skills: z.array(z.string()),
  priority: z.number(),
  review: z.boolean(),
  maxAttempts: z.number(),
  timeoutMs: z.number().optional(),
});

/** The task a schedule's slot makes, from its stored definition. */
function taskOf(row: ScheduleRow, key: string): NewTask {
  let template: z.infer<typeof templateSchema>;
  try {
    template = templateSchema.parse((JSON.parse(row.definition) as { task?: unknown }).task);
  } catch (cause) {
    throw new LedgerError('bad_schedule', `schedule ${row.id} has an unreadable task template`, { cause });
  }
  const task: NewTask = {
    title: template.title,
    body: template.body,
    skills: template.skills,
    priority: template.priority,
    review: template.review,
    maxAttempts: template.maxAttempts,
    key,
  };
  if (template.timeoutMs !== undefined) task.timeoutMs = template.timeoutMs;
  return task;
}

const actorOf = (id: string): string => `schedule:${id}`;

export function getSchedule(core: LedgerCore, id: string): ScheduleRow | undefined {
  return core.sql('SELECT * FROM schedules WHERE id = ?').get(id) as ScheduleRow | undefined;
}

function requireSchedule(core: LedgerCore, id: string): ScheduleRow {
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

/** The newest record of a schedule's slots (a run, a skip or missed slots), if any. */
export function lastFire(core: LedgerCore, id: string): ScheduleFireRow | undefined {
  return core.sql('SELECT * FROM schedule_fires WHERE schedule_id = ? ORDER BY id DESC LIMIT 1').get(id) as
    ScheduleFireRow | undefined;
}

/** Slots skipped since the schedule's last task was made (overlap), for lists. */
export function skippedSinceLastRun(core: LedgerCore, id: string): number {
  const row = core
    .sql(
      `SELECT COUNT(*) AS n FROM schedule_fires WHERE schedule_id = ? AND outcome = 'skipped'
         AND id > COALESCE((SELECT MAX(id) FROM schedule_fires WHERE schedule_id = ? AND outcome IN ('created','exists')), 0)`,
    )
    .get(id, id) as { n: number };
  return row.n;
}

/** The newest task of the schedule that is not finished, if any (what overlap=skip waits for). */
export function openTaskOf(core: LedgerCore, id: string): string | null {
  const row = core
    .sql(
      `SELECT t.id FROM (SELECT task_id, id FROM schedule_fires WHERE schedule_id = ? AND outcome IN ('created','exists')
         ORDER BY id DESC LIMIT 50) f JOIN tasks t ON t.id = f.task_id
       WHERE t.status NOT IN ('done','failed','cancelled') ORDER BY f.id DESC LIMIT 1`,
    )
    .get(id) as { id: string } | undefined;
  return row?.id ?? null;
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

/** Creates a task from the schedule's template now, outside its slots (`/schedule run`). */
export function runScheduleNow(
  core: LedgerCore,
  id: string,
  actor: string,
): { taskId: string; created: boolean } {
  return core.write(() => {
    const row = requireSchedule(core, id);
    const now = core.now();
    const res = createTask(core, taskOf(row, manualRunTaskKey(id, now)), actor);
    core
      .sql(
        'INSERT INTO schedule_fires (schedule_id, slot_at, kind, outcome, task_id, detail, at) VALUES (?,?,?,?,?,?,?)',
      )
      .run(id, now, 'manual', res.created ? 'created' : 'exists', res.task.id, `run now by ${actor}`, now);
    core.appendEvent({
      type: 'schedule_run',
      taskId: res.task.id,
      actor,
      data: { scheduleId: id, created: res.created },
    });
    return { taskId: res.task.id, created: res.created };
  });
}

/** What one firing did. */
export interface FireResult {
  created: string[];
  skipped: number;
  missed: number;
}

/**
 * Fires a schedule's due slots: reads the schedule inside one write transaction, asks `decide` for
 * the plan, and carries it out (tasks, slot records, events, cursor) before committing. Another
 * connection that fired first has moved the cursor, so `decide` sees nothing due.
 */
export function fireSchedule(
  core: LedgerCore,
  id: string,
  decide: (state: FireState) => FirePlan,
): FireResult {
  return core.write(() => {
    const result: FireResult = { created: [], skipped: 0, missed: 0 };
    const row = getSchedule(core, id);
    if (!row || row.status !== 'active') return result;
    const now = core.now();
    const plan = decide({ row, now, openTaskId: openTaskOf(core, id) });
    if (plan.cursorAt <= row.cursor_at) return result;
    const insertFire = core.sql(
      'INSERT OR IGNORE INTO schedule_fires (schedule_id, slot_at, kind, outcome, task_id, detail, at) VALUES (?,?,?,?,?,?,?)',
    );
    if (plan.missed) {
      const m = plan.missed;
      insertFire.run(
        id,
        plan.cursorAt,
        'missed',
        'missed',
        null,
        `${m.count}${m.more ? '+' : ''} missed`,
        now,
      );
      core.appendEvent({ type: 'schedule_missed', actor: actorOf(id), data: { scheduleId: id, ...m } });
      result.missed = m.count;
    }
    for (const action of plan.actions) {
      if (action.slotAt <= row.cursor_at) continue;
      if (action.kind === 'skip') {
        const repeat =
          core
            .sql(
              "SELECT 1 FROM schedule_fires WHERE schedule_id = ? AND outcome = 'skipped' AND task_id = ? LIMIT 1",
            )
            .get(id, action.blockedBy) !== undefined;
        const done = insertFire.run(id, action.slotAt, 'slot', 'skipped', action.blockedBy, 'overlap', now);
        if (done.changes === 0) continue;
        core.appendEvent({
          type: 'schedule_skipped',
          actor: actorOf(id),
          data: {
            scheduleId: id,
            slotAt: action.slotAt,
            slot: action.label,
            blockedBy: action.blockedBy,
            repeat,
          },
        });
        result.skipped++;
        continue;
      }
      const key = slotTaskKey(id, action.slotAt);
      // The slot's row first: the unique index makes a second firing of the slot a no-op.
      const claimed = insertFire.run(id, action.slotAt, 'slot', 'created', key, null, now);
      if (claimed.changes === 0) continue;
      const res = createTask(core, taskOf(row, key), actorOf(id));
      if (!res.created)
        core
          .sql(
            "UPDATE schedule_fires SET outcome = 'exists' WHERE schedule_id = ? AND slot_at = ? AND kind = 'slot'",
          )
          .run(id, action.slotAt);
      core.appendEvent({
        type: 'schedule_fired',
        taskId: res.task.id,
        actor: actorOf(id),
        data: {
          scheduleId: id,
          slotAt: action.slotAt,
          slot: action.label,
          late: action.late,
          created: res.created,
        },
      });
      if (res.created) result.created.push(res.task.id);
    }
    core
      .sql('UPDATE schedules SET cursor_at = ? WHERE id = ? AND cursor_at < ?')
      .run(plan.cursorAt, id, plan.cursorAt);
    return result;
  });
}
