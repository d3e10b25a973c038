import type { LedgerCore } from './ledger-core.ts';

/**
 * Events after which a task's buttons mean something else: every change of its state or its
 * question. Progress, notes, priority and assignment leave the buttons as they were. Each of these
 * events also refreshes the task's main message (see `planMirror`), so the buttons shown are never
 * older than the stamp.
 */
const STATE_EVENTS = [
  'task_created',
  'task_claimed',
  'task_asked',
  'task_answered',
  'task_done',
  'task_review',
  'attempt_failed',
  'task_failed',
  'lease_expired',
  'task_cancelled',
  'task_retried',
  'task_approved',
  'task_rejected',
  'task_released',
] as const;

const STAMP_SQL = `SELECT MAX(seq) AS seq FROM events WHERE task_id = ? AND type IN (${STATE_EVENTS.map(() => '?').join(',')})`;

/**
 * The task's state stamp: the number (base 36) of its newest state-changing event. A button shows it;
 * a press whose stamp is no longer the task's was made on a state that has moved on.
 */
export function taskStamp(core: LedgerCore, taskId: string): string {
  const row = core.sql(STAMP_SQL).get(taskId, ...STATE_EVENTS) as { seq: number | null } | undefined;
  return (row?.seq ?? 0).toString(36);
}
