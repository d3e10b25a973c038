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

/** After a task failed or was cancelled: its queued dependents wait, visibly, with the reason. */
export function markDependentsWaiting(
  core: LedgerCore,
  taskId: string,
  outcome: string,
  actor: string,
): void {
  const dependents = core
    .sql(
      `SELECT t.id FROM task_deps d JOIN tasks t ON t.id = d.task_id WHERE d.depends_on = ? AND t.status = 'queued'`,
    )
    .all(taskId) as { id: string }[];
  const reason = `dependency ${taskId} ${outcome}; /retry ${taskId} or /cancel the dependent task`;
  for (const dep of dependents) {
    core
      .sql('UPDATE tasks SET waiting_reason = ?, updated_at = ? WHERE id = ?')
      .run(reason, core.now(), dep.id);
    core.appendEvent({ type: 'task_waiting', taskId: dep.id, actor, data: { reason } });
  }
}

/** When a failed or cancelled task is retried, its dependents stop showing the old reason. */
export function clearDependentsWaiting(core: LedgerCore, taskId: string): void {
  core
    .sql(
      `UPDATE tasks SET waiting_reason = NULL, updated_at = ? WHERE status = 'queued'
       AND id IN (SELECT task_id FROM task_deps WHERE depends_on = ?)`,
    )
    .run(core.now(), taskId);
}
