/**
 * Firing schedules: a firing creates its task (keyed by schedule and slot), records the slot and
 * moves the schedule's cursor in one transaction, so no restart, clock jump, crash or second
 * orchestrator can make a second task for a slot. Also the record of what each slot did.
 */
import { z } from 'zod';
import { LedgerError } from '../core/errors.ts';
import { manualRunTaskKey, slotTaskKey } from '../core/schedule-key.ts';
import type { LedgerCore } from './ledger-core.ts';
import { getSchedule, requireSchedule, type ScheduleFireRow, type ScheduleRow } from './schedule-ops.ts';
import { createTask, type NewTask } from './task-ops.ts';

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
