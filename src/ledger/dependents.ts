import type { LedgerCore } from './ledger-core.ts';

/** After a task is done: one fewer pending dependency for each dependent; announce those now free. */
export function releaseDependents(core: LedgerCore, taskId: string, actor: string): void {
  const dependents = core
    .sql(
      `SELECT t.id, t.deps_pending FROM task_deps d JOIN tasks t ON t.id = d.task_id
       WHERE d.depends_on = ? AND t.status = 'queued'`,
    )
    .all(taskId) as { id: string; deps_pending: number }[];
  for (const dep of dependents) {
    core
      .sql('UPDATE tasks SET deps_pending = deps_pending - 1, updated_at = ? WHERE id = ?')
      .run(core.now(), dep.id);
    if (dep.deps_pending === 1)
      core.appendEvent({ type: 'task_unblocked', taskId: dep.id, actor, data: { after: taskId } });
  }
}

/**
 * Why a queued task cannot run, from its dependencies that failed or were cancelled; null when
 * none did (it may still wait for running ones, which needs no explanation).
 */
export function waitingReasonOf(core: LedgerCore, taskId: string): string | null {
  const stuck = core
    .sql(
      `SELECT t.id, t.status FROM task_deps d JOIN tasks t ON t.id = d.depends_on
       WHERE d.task_id = ? AND t.status IN ('failed', 'cancelled') ORDER BY t.seq`,
    )
    .all(taskId) as { id: string; status: string }[];
  if (!stuck.length) return null;
  const list = stuck.map((d) => `${d.id} ${d.status}`).join(', ');
  const ids = stuck.map((d) => d.id).join(' ');
  return `dependency ${list}; /retry ${ids} or /cancel this task`;
}

/**
 * Recomputes the waiting reason of each queued dependent of `taskId` after it failed, was cancelled
 * or was retried, and records the change so the dependent's status message follows.
 */
export function refreshDependentsWaiting(core: LedgerCore, taskId: string, actor: string): void {
  const dependents = core
    .sql(
      `SELECT t.id, t.waiting_reason FROM task_deps d JOIN tasks t ON t.id = d.task_id
       WHERE d.depends_on = ? AND t.status = 'queued'`,
    )
    .all(taskId) as { id: string; waiting_reason: string | null }[];
  for (const dep of dependents) {
    const reason = waitingReasonOf(core, dep.id);
    if (reason === dep.waiting_reason) continue;
    core
      .sql('UPDATE tasks SET waiting_reason = ?, updated_at = ? WHERE id = ?')
      .run(reason, core.now(), dep.id);
    core.appendEvent(
      reason === null
        ? { type: 'task_waiting_cleared', taskId: dep.id, actor, data: { after: taskId } }
        : { type: 'task_waiting', taskId: dep.id, actor, data: { reason } },
    );
  }
}
