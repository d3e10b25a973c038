/**
 * Decides what one schedule does now: which due slots run, which are skipped because an earlier
 * task is still open, and which were missed. Pure, so every policy is tested without a clock or a
 * file; the ledger carries the plan out in one transaction.
 */
import { slotTaskKey } from '../core/schedule-key.ts';
import type { FirePlan, MissedSummary, SlotAction } from '../ledger/schedule-fire-ops.ts';
import type { ScheduleDefinition } from './schedule-spec.ts';
import type { SlotClock } from './slot-clock.ts';
import { formatInZone } from './zone-time.ts';

/** At most this many due slots are listed one by one; beyond it the count is "more than". */
export const SLOT_SCAN_LIMIT = 2_000;

export interface PlanInput {
  scheduleId: string;
  definition: ScheduleDefinition;
  clock: SlotClock;
  /** Every slot at or before this was handled already. */
  cursorAt: number;
  now: number;
  /** A task of this schedule that is not finished yet, if any. */
  openTaskId: string | null;
  /** When this scheduler started: slots before it passed while the swarm was down. */
  startedAt: number;
  /** A slot noticed later than this after its time counts as missed. */
  graceMs: number;
}

/**
 * The plan for the slots due since the cursor. A slot is missed when a newer slot is already due,
 * or when it is the newest but more than `graceMs` late; the missed policy says which of those
 * run. A slot that would run while a task of the schedule is open is skipped under overlap=skip.
 */
export function planSlots(input: PlanInput): FirePlan {
  const { definition: d, clock, cursorAt, now } = input;
  const listed = clock.between(cursorAt, now, SLOT_SCAN_LIMIT + 1);
  if (listed.length === 0) return { cursorAt, actions: [] };
  const exact = listed.length <= SLOT_SCAN_LIMIT;
  const newest = exact ? listed[listed.length - 1]! : clock.newest(cursorAt, now, 1)[0]!;
  const newestLate = now - newest > input.graceMs;
  const dueCount = exact ? listed.length : undefined;
  // Missed: every due slot but the newest, and the newest too when it is late.
  const missedCount = dueCount === undefined ? undefined : dueCount - (newestLate ? 0 : 1);

  const toRun: number[] = [];
  let missedRun: number[] = [];
  if (d.missed.policy === 'latest') {
    toRun.push(newest);
    if (newestLate) missedRun = [newest];
  } else if (d.missed.policy === 'skip') {
    if (!newestLate) toRun.push(newest);
  } else {
    const pool = exact
      ? listed.slice(0, newestLate ? listed.length : listed.length - 1)
      : clock.newest(cursorAt, now, d.missed.cap + 1).filter((t) => newestLate || t !== newest);
    missedRun = pool.slice(-d.missed.cap);
    toRun.push(...missedRun);
    if (!newestLate) toRun.push(newest);
  }

  const label = (t: number): string => formatInZone(t, d.timezone);
  const lastBefore = (t: number): number =>
    (exact ? listed[listed.length - 2] : clock.newest(cursorAt, t - 1, 1)[0]) ?? t;
  const actions: SlotAction[] = [];
  let open = input.openTaskId;
  for (const slotAt of toRun) {
    if (d.overlap === 'skip' && open !== null) {
      actions.push({ kind: 'skip', slotAt, label: label(slotAt), blockedBy: open });
      continue;
    }
    actions.push({ kind: 'run', slotAt, label: label(slotAt), late: now - slotAt > input.graceMs });
    open = slotTaskKey(input.scheduleId, slotAt);
  }

  const plan: FirePlan = { cursorAt: newest, actions };
  const anyMissed = missedCount === undefined || missedCount > 0;
  if (anyMissed) {
    const oldest = listed[0]!;
    const missed: MissedSummary = {
      count: missedCount ?? SLOT_SCAN_LIMIT,
      more: missedCount === undefined,
      policy: d.missed.policy,
      cap: d.missed.cap,
      ranCount: missedRun.length,
      latest: toRun.length ? label(toRun[toRun.length - 1]!) : null,
      whileDown: oldest < input.startedAt,
      oldest: label(oldest),
      newest: label(newestLate ? newest : lastBefore(newest)),
    };
    plan.missed = missed;
  }
  return plan;
}
