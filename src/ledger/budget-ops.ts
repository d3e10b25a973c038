import type { UsageTotals } from '../core/usage.ts';
import { refreshDependentsWaiting } from './dependents.ts';
import type { LedgerCore } from './ledger-core.ts';
import { fence, type AttemptRef, type WriteResult } from './task-ops.ts';
import { usageData } from './usage-ops.ts';

/**
 * Fails the task for good because it crossed its budget: another attempt would spend more. The
 * error says so; `/retry` by a person queues it again with its budget counted afresh.
 */
export function failForBudget(
  core: LedgerCore,
  ref: AttemptRef,
  error: string,
  usage: UsageTotals,
): WriteResult {
  return core.write(() => {
    const f = fence(core, ref, 'budget');
    if ('stale' in f) return f.stale;
    const now = core.now();
    core
      .sql(
        `UPDATE attempts SET ended_at = ?, outcome = 'failed', error = ? WHERE task_id = ? AND attempt = ? AND ended_at IS NULL`,
      )
      .run(now, error, ref.taskId, ref.attempt);
    core
      .sql(
        `UPDATE tasks SET status = 'failed', owner = NULL, lease_expires_at = NULL, question = NULL, answer = NULL,
           last_error = ?, updated_at = ? WHERE id = ?`,
      )
      .run(error, now, ref.taskId);
    core.appendEvent({
      type: 'task_failed',
      taskId: ref.taskId,
      agentId: ref.agentId,
      actor: `agent:${ref.agentId}`,
      data: { attempt: ref.attempt, error, budgetExceeded: true, usage: usageData(usage) },
    });
    refreshDependentsWaiting(core, ref.taskId, `agent:${ref.agentId}`);
    return { ok: true };
  });
}
