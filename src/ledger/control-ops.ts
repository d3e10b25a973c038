import { LedgerError } from '../core/errors.ts';
import { FINAL_STATUSES, type TaskStatus } from '../core/types.ts';
import type { LedgerCore } from './ledger-core.ts';
import { refreshDependentsWaiting, releaseDependents } from './dependents.ts';
import type { TaskRow } from './task-row.ts';

/**
 * Operations people (and the CLI) perform on tasks. Each is one transaction; a request that does not
 * fit the task's state throws LedgerError with a message fit to show in the channel.
 */

function requireStatus(row: TaskRow, allowed: TaskStatus[], verb: string): void {
  if (!allowed.includes(row.status as TaskStatus)) {
    throw new LedgerError('bad_state', `cannot ${verb} ${row.id}: it is ${row.status}`);
  }
}

function endCurrentAttempt(core: LedgerCore, row: TaskRow, outcome: string, error: string | null): void {
  core
    .sql(
      'UPDATE attempts SET ended_at = ?, outcome = ?, error = ? WHERE task_id = ? AND attempt = ? AND ended_at IS NULL',
    )
    .run(core.now(), outcome, error, row.id, row.attempt);
}

export function cancelTask(core: LedgerCore, taskId: string, actor: string, reason?: string): void {
  core.write(() => {
    const row = core.requireTask(taskId);
    if (FINAL_STATUSES.has(row.status as TaskStatus))
      throw new LedgerError('bad_state', `${taskId} is already ${row.status}`);
    endCurrentAttempt(core, row, 'cancelled', reason ?? null);
    core
      .sql(
        `UPDATE tasks SET status = 'cancelled', owner = NULL, lease_expires_at = NULL, question = NULL, updated_at = ? WHERE id = ?`,
      )
      .run(core.now(), taskId);
    core.appendEvent({ type: 'task_cancelled', taskId, actor, data: reason ? { reason } : {} });
    refreshDependentsWaiting(core, taskId, actor);
  });
}

/** Puts a failed or cancelled task back in the queue with a fresh budget of attempts. */
export function retryTask(core: LedgerCore, taskId: string, actor: string): void {
  core.write(() => {
    const row = core.requireTask(taskId);
    if (row.status === 'queued' && row.not_before > core.now()) {
      core.sql('UPDATE tasks SET not_before = 0, updated_at = ? WHERE id = ?').run(core.now(), taskId);
    } else {
      requireStatus(row, ['failed', 'cancelled'], 'retry');
      core
        .sql(
          `UPDATE tasks SET status = 'queued', attempts_base = attempt, not_before = 0, updated_at = ? WHERE id = ?`,
        )
        .run(core.now(), taskId);
      refreshDependentsWaiting(core, taskId, actor);
    }
    core.appendEvent({ type: 'task_retried', taskId, actor });
  });
}

/**
 * Assigns a task to one agent. A task another agent is working on goes back to the queue (its
 * attempt becomes stale, so that agent stops) without spending an attempt.
 */
export function assignTask(core: LedgerCore, taskId: string, agentId: string, actor: string): void {
  core.write(() => {
    const row = core.requireTask(taskId);
    if (FINAL_STATUSES.has(row.status as TaskStatus) || row.status === 'review') {
      throw new LedgerError('bad_state', `cannot assign ${taskId}: it is ${row.status}`);
    }
    const agent = core.sql('SELECT id FROM agents WHERE id = ?').get(agentId);
    if (!agent) throw new LedgerError('unknown_agent', `no agent ${agentId}; /agents lists them`);
    const now = core.now();
    if ((row.status === 'claimed' || row.status === 'blocked') && row.owner !== agentId) {
      endCurrentAttempt(core, row, 'requeued', `reassigned to ${agentId}`);
      core
        .sql(
          `UPDATE tasks SET status = 'queued', owner = NULL, lease_expires_at = NULL, question = NULL, answer = NULL,
             attempts_base = attempts_base + 1, not_before = 0, updated_at = ? WHERE id = ?`,
        )
        .run(now, taskId);
    }
    core.sql('UPDATE tasks SET assignee = ?, updated_at = ? WHERE id = ?').run(agentId, now, taskId);
    core.appendEvent({ type: 'task_assigned', taskId, actor, data: { assignee: agentId } });
  });
}

export function setPriority(core: LedgerCore, taskId: string, priority: number, actor: string): void {
  core.write(() => {
    const row = core.requireTask(taskId);
    core.sql('UPDATE tasks SET priority = ?, updated_at = ? WHERE id = ?').run(priority, core.now(), taskId);
    core.appendEvent({ type: 'task_priority', taskId, actor, data: { from: row.priority, to: priority } });
  });
}

export function approveTask(core: LedgerCore, taskId: string, actor: string): void {
  core.write(() => {
    const row = core.requireTask(taskId);
    requireStatus(row, ['review'], 'approve');
    core.sql(`UPDATE tasks SET status = 'done', updated_at = ? WHERE id = ?`).run(core.now(), taskId);
    core
      .sql(`UPDATE attempts SET outcome = 'done' WHERE task_id = ? AND attempt = ?`)
      .run(taskId, row.attempt);
    core.appendEvent({ type: 'task_approved', taskId, actor });
    releaseDependents(core, taskId, actor);
  });
}

/** Sends a reviewed result back: the feedback becomes a note the next attempt sees. */
export function rejectTask(core: LedgerCore, taskId: string, feedback: string, actor: string): void {
  core.write(() => {
    const row = core.requireTask(taskId);
    requireStatus(row, ['review'], 'reject');
    const notes = [...(JSON.parse(row.notes) as string[]), `review feedback: ${feedback}`];
    core
      .sql(
        `UPDATE tasks SET status = 'queued', notes = ?, attempts_base = attempt, not_before = 0, result = NULL, updated_at = ? WHERE id = ?`,
      )
      .run(JSON.stringify(notes), core.now(), taskId);
    core.appendEvent({ type: 'task_rejected', taskId, actor, data: { feedback } });
  });
}

export function addNote(core: LedgerCore, taskId: string, note: string, actor: string): void {
  core.write(() => {
    const row = core.requireTask(taskId);
    const notes = [...(JSON.parse(row.notes) as string[]), note];
    core
      .sql('UPDATE tasks SET notes = ?, updated_at = ? WHERE id = ?')
      .run(JSON.stringify(notes), core.now(), taskId);
    core.appendEvent({ type: 'task_note', taskId, actor, data: { note } });
  });
}

/** A person answers a blocked task's question; the waiting agent receives it and goes on. */
export function answerTask(core: LedgerCore, taskId: string, answer: string, actor: string): void {
  core.write(() => {
    const row = core.requireTask(taskId);
    if (row.status !== 'blocked')
      throw new LedgerError('bad_state', `${taskId} has no open question (it is ${row.status})`);
    core
      .sql(`UPDATE tasks SET status = 'claimed', question = NULL, answer = ?, updated_at = ? WHERE id = ?`)
      .run(answer, core.now(), taskId);
    core.appendEvent({ type: 'task_answered', taskId, actor, data: { answer, question: row.question } });
  });
}

/** Pauses or resumes one agent (no new claims; running work goes on), or the whole swarm. */
export function setPaused(core: LedgerCore, paused: boolean, actor: string, agentId?: string): void {
  core.write(() => {
    if (agentId === undefined) {
      core
        .sql(
          "INSERT INTO kv (key, value) VALUES ('swarm_paused', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        )
        .run(paused ? '1' : '0');
      core.appendEvent({ type: paused ? 'swarm_paused' : 'swarm_resumed', actor });
      return;
    }
    const changed = core
      .sql('UPDATE agents SET status = ? WHERE id = ?')
      .run(paused ? 'paused' : 'active', agentId).changes;
    if (changed === 0) throw new LedgerError('unknown_agent', `no agent ${agentId}; /agents lists them`);
    core.appendEvent({ type: paused ? 'agent_paused' : 'agent_resumed', agentId, actor });
  });
}
