import type { Task, TaskStatus } from '../core/types.ts';
import type { LedgerCore } from './ledger-core.ts';
import { TASK_COLUMNS, taskRowFromRaw, toTask } from './task-row.ts';

/** Tasks in queue order, optionally only those in some states, at most `limit` of them. */
export function listTasks(core: LedgerCore, filter: { status?: TaskStatus[]; limit?: number }): Task[] {
  const where = filter.status?.length ? `WHERE status IN (${filter.status.map(() => '?').join(',')})` : '';
  const rows = core
    .rawSql(`SELECT ${TASK_COLUMNS} FROM tasks ${where} ORDER BY seq LIMIT ?`)
    .all(...(filter.status ?? []), filter.limit ?? 1_000_000)
    .map(taskRowFromRaw);
  return rows.map((r) => toTask(r, core.dependsOn(r.id)));
}

/** Who holds a task and whether an answer waits for it: what a running attempt checks on each change. */
export interface AttemptState {
  status: string;
  attempt: number;
  owner: string | null;
  hasAnswer: boolean;
}

/**
 * A task's holder and answer flag in one small read (no JSON, no dependencies): a running attempt
 * asks this on every ledger change, which is hundreds of times a second in a busy swarm.
 */
export function attemptState(core: LedgerCore, id: string): AttemptState | undefined {
  const row = core
    .sql('SELECT status, attempt, owner, answer IS NOT NULL AS has_answer FROM tasks WHERE id = ?')
    .get(id) as { status: string; attempt: number; owner: string | null; has_answer: number } | undefined;
  return (
    row && { status: row.status, attempt: row.attempt, owner: row.owner, hasAnswer: row.has_answer === 1 }
  );
}

/** Whether any task is in one of these states; a yes/no that stops at the first match. */
export function hasTasksIn(core: LedgerCore, statuses: TaskStatus[]): boolean {
  if (!statuses.length) return false;
  const marks = statuses.map(() => '?').join(',');
  return core.sql(`SELECT 1 FROM tasks WHERE status IN (${marks}) LIMIT 1`).get(...statuses) !== undefined;
}

/** How many tasks are in each state (states without tasks are absent). */
export function countByStatus(core: LedgerCore): Record<string, number> {
  const rows = core.sql('SELECT status, COUNT(*) AS n FROM tasks GROUP BY status').all() as {
    status: string;
    n: number;
  }[];
  return Object.fromEntries(rows.map((r) => [r.status, r.n]));
}

/** Tasks an agent currently holds (claimed or blocked). */
export function heldBy(core: LedgerCore, agentId: string): Task[] {
  const rows = core
    .rawSql(
      `SELECT ${TASK_COLUMNS} FROM tasks WHERE owner = ? AND status IN ('claimed','blocked') ORDER BY seq`,
    )
    .all(agentId)
    .map(taskRowFromRaw);
  return rows.map((r) => toTask(r, core.dependsOn(r.id)));
}

/** Earliest time a queued task's retry backoff ends, so idle agents can wake for it. */
export function nextRetryAt(core: LedgerCore): number | null {
  const row = core
    .sql(
      "SELECT MIN(not_before) AS t FROM tasks WHERE status = 'queued' AND deps_pending = 0 AND not_before > ?",
    )
    .get(core.now()) as { t: number | null };
  return row.t;
}
