import { LedgerError } from '../core/errors.ts';
import type { LedgerCore } from './ledger-core.ts';
import { refreshDependentsWaiting, releaseDependents } from './dependents.ts';
import { fence, type AttemptRef, type WriteResult } from './task-ops.ts';
import { attemptsLeft, TASK_COLUMNS, taskRowFromRaw, type TaskRow } from './task-row.ts';
import { attemptUsageData } from './usage-ops.ts';

const OK: WriteResult = { ok: true };
const actorOf = (ref: AttemptRef): string => `agent:${ref.agentId}`;

/** Exponential backoff with ±20% jitter, so many failing tasks do not retry in lockstep. */
export function retryDelayMs(
  tryNumber: number,
  baseMs: number,
  maxMs: number,
  random: () => number = Math.random,
): number {
  const raw = Math.min(maxMs, baseMs * 2 ** Math.max(0, tryNumber - 1));
  return Math.round(raw * (0.8 + 0.4 * random()));
}

function endAttempt(
  core: LedgerCore,
  ref: { taskId: string; attempt: number },
  outcome: string,
  error: string | null,
): void {
  core
    .sql(
      'UPDATE attempts SET ended_at = ?, outcome = ?, error = ? WHERE task_id = ? AND attempt = ? AND ended_at IS NULL',
    )
    .run(core.now(), outcome, error, ref.taskId, ref.attempt);
}

/** The attempt's usage for its outcome event (see usage-ops.ts); nothing when it reported none. */
function usageOf(core: LedgerCore, ref: AttemptRef): { usage?: Record<string, number> } {
  const usage = attemptUsageData(core, ref.taskId, ref.attempt);
  return usage ? { usage } : {};
}

/** Extends the lease of a live attempt. */
export function heartbeat(core: LedgerCore, ref: AttemptRef, leaseMs?: number): WriteResult {
  return core.write(() => heartbeatInWrite(core, ref, leaseMs));
}

/**
 * Extends the leases of several live attempts (one process's running attempts) in one transaction,
 * so a process pays one commit per heartbeat tick whatever it runs. Each attempt is fenced on its
 * own: a stale one gets `stale` (and its refusal event) while the others are extended.
 */
export function heartbeatMany(
  core: LedgerCore,
  beats: readonly { ref: AttemptRef; leaseMs?: number | undefined }[],
): WriteResult[] {
  if (beats.length === 0) return [];
  return core.write(() => beats.map((b) => heartbeatInWrite(core, b.ref, b.leaseMs)));
}

function heartbeatInWrite(core: LedgerCore, ref: AttemptRef, leaseMs: number | undefined): WriteResult {
  const f = fence(core, ref, 'heartbeat');
  if ('stale' in f) return f.stale;
  const now = core.now();
  const until = now + (leaseMs ?? core.options.leaseMs);
  core.sql('UPDATE tasks SET lease_expires_at = ? WHERE id = ?').run(until, ref.taskId);
  core
    .sql('UPDATE attempts SET lease_expires_at = ?, last_heartbeat_at = ? WHERE task_id = ? AND attempt = ?')
    .run(until, now, ref.taskId, ref.attempt);
  core.sql('UPDATE agents SET last_heartbeat_at = ? WHERE id = ?').run(now, ref.agentId);
  return OK;
}

/** Records progress (percent and text); shown on the task's status line. Also extends the lease. */
export function progress(core: LedgerCore, ref: AttemptRef, pct: number | null, text: string): WriteResult {
  return core.write(() => {
    const f = fence(core, ref, 'progress');
    if ('stale' in f) return f.stale;
    const clamped = pct === null ? null : Math.max(0, Math.min(100, Math.round(pct)));
    const now = core.now();
    core
      .sql(
        'UPDATE tasks SET progress_pct = ?, progress_text = ?, lease_expires_at = ?, updated_at = ? WHERE id = ?',
      )
      .run(clamped, text, now + core.options.leaseMs, now, ref.taskId);
    core
      .sql(
        'UPDATE attempts SET last_heartbeat_at = ?, lease_expires_at = ? WHERE task_id = ? AND attempt = ?',
      )
      .run(now, now + core.options.leaseMs, ref.taskId, ref.attempt);
    core.appendEvent({
      type: 'task_progress',
      taskId: ref.taskId,
      agentId: ref.agentId,
      actor: actorOf(ref),
      data: { pct: clamped, text },
    });
    return OK;
  });
}

/** The agent asks the humans a question: the task is blocked until someone answers. */
export function ask(core: LedgerCore, ref: AttemptRef, question: string): WriteResult {
  return core.write(() => {
    const f = fence(core, ref, 'ask');
    if ('stale' in f) return f.stale;
    core
      .sql("UPDATE tasks SET status = 'blocked', question = ?, answer = NULL, updated_at = ? WHERE id = ?")
      .run(question, core.now(), ref.taskId);
    core.appendEvent({
      type: 'task_asked',
      taskId: ref.taskId,
      agentId: ref.agentId,
      actor: actorOf(ref),
      data: { question },
    });
    return OK;
  });
}

/**
 * Hands the agent the answer to its question, once: returns it and clears it, or null while the
 * task is still blocked. A stale attempt gets `stale`.
 */
export function takeAnswer(
  core: LedgerCore,
  ref: AttemptRef,
): WriteResult | { ok: true; answer: string | null } {
  return core.write(() => {
    const f = fence(core, ref, 'take_answer');
    if ('stale' in f) return f.stale;
    if (f.row.status !== 'claimed' || f.row.answer === null) return { ok: true, answer: null };
    core.sql('UPDATE tasks SET answer = NULL WHERE id = ?').run(ref.taskId);
    return { ok: true, answer: f.row.answer };
  });
}

/** A file attached to a result: a swarm-owned copy (never the worker's own file) and its checksum. */
export interface ArtifactRecord {
  /** File name shown and uploaded. */
  name: string;
  /** Where the swarm's copy is; the poster reads it and checks `sha256` before uploading. */
  path: string;
  bytes: number;
  sha256: string;
}

// Fenced completion: changes the row only while the attempt is current.
const COMPLETE_SQL = `UPDATE tasks SET status = CASE review WHEN 1 THEN 'review' ELSE 'done' END, result = ?,
    owner = NULL, lease_expires_at = NULL, question = NULL, last_error = NULL, updated_at = ?
  WHERE id = ? AND attempt = ? AND owner = ? AND status IN ('claimed', 'blocked')`;
// Then, read raw, whether the task went to review, and whether it has dependents to release and
// usage to report, so neither is looked for when there is none. A second statement, not RETURNING:
// SQLite runs a RETURNING clause as a trigger program with a table of its own, which cost more
// instructions than this whole SELECT (callgrind).
const COMPLETED_SQL = `SELECT review, EXISTS (SELECT 1 FROM task_deps WHERE depends_on = tasks.id),
    EXISTS (SELECT 1 FROM attempt_usage WHERE task_id = tasks.id AND attempt = tasks.attempt)
  FROM tasks WHERE id = ?`;

/**
 * Finishes an attempt successfully: done, or review when the task needs a person's approval.
 * `notices` are lines for the channel about what was refused (artifacts, capped requests).
 */
export function complete(
  core: LedgerCore,
  ref: AttemptRef,
  result: string,
  artifacts: ArtifactRecord[] = [],
  notices: string[] = [],
): WriteResult {
  return core.write(() => completeInWrite(core, ref, result, artifacts, notices));
}

/** `complete` inside the caller's write transaction (no savepoint of its own). */
export function completeInWrite(
  core: LedgerCore,
  ref: AttemptRef,
  result: string,
  artifacts: ArtifactRecord[],
  notices: string[],
): WriteResult {
  const now = core.now();
  // The fence and the update in one statement: it changes the row only while `ref` is current.
  const changed = core.sql(COMPLETE_SQL).run(result, now, ref.taskId, ref.attempt, ref.agentId).changes;
  const updated =
    changed === 1
      ? (core.rawSql(COMPLETED_SQL).get(ref.taskId) as [
          review: number,
          hasDependents: number,
          hasUsage: number,
        ])
      : undefined;
  if (updated === undefined) {
    const f = fence(core, ref, 'result');
    if ('stale' in f) return f.stale;
    throw new LedgerError('ledger_corrupt', `task ${ref.taskId}: current attempt but not completed`);
  }
  const [review, hasDependents, hasUsage] = updated;
  const toReview = review === 1;
  endAttempt(core, ref, toReview ? 'review' : 'done', null);
  core.appendEvent({
    type: toReview ? 'task_review' : 'task_done',
    taskId: ref.taskId,
    agentId: ref.agentId,
    actor: actorOf(ref),
    data: {
      attempt: ref.attempt,
      result,
      ...(artifacts.length ? { artifacts } : {}),
      ...(notices.length ? { notices } : {}),
      ...(hasUsage === 1 ? usageOf(core, ref) : {}),
    },
  });
  if (!toReview && hasDependents === 1) releaseDependents(core, ref.taskId, actorOf(ref));
  return OK;
}

/** Requeues the task after backoff while attempts remain, else fails it for good. Runs inside a write. */
function requeueOrFail(
  core: LedgerCore,
  row: Pick<TaskRow, 'id' | 'attempt' | 'attempts_base' | 'max_attempts'>,
  error: string,
  actor: string,
  agentId: string | null,
  extra: Record<string, unknown>,
  eventTypes: { requeued: string; failed: string },
): void {
  const left = attemptsLeft(row);
  const now = core.now();
  if (left > 0) {
    const retryInMs = retryDelayMs(
      row.attempt - row.attempts_base,
      core.options.retryBaseMs,
      core.options.retryMaxMs,
    );
    core
      .sql(
        `UPDATE tasks SET status = 'queued', owner = NULL, lease_expires_at = NULL, question = NULL, answer = NULL,
           last_error = ?, not_before = ?, updated_at = ? WHERE id = ?`,
      )
      .run(error, now + retryInMs, now, row.id);
    core.appendEvent({
      type: eventTypes.requeued,
      taskId: row.id,
      agentId,
      actor,
      data: {
        ...extra,
        attempt: row.attempt,
        error,
        retryInMs,
        attemptsLeft: left,
        requeued: true,
        notBefore: now + retryInMs,
      },
    });
  } else {
    core
      .sql(
        `UPDATE tasks SET status = 'failed', owner = NULL, lease_expires_at = NULL, question = NULL, answer = NULL,
           last_error = ?, updated_at = ? WHERE id = ?`,
      )
      .run(error, now, row.id);
    if (eventTypes.failed !== eventTypes.requeued) {
      core.appendEvent({
        type: eventTypes.requeued,
        taskId: row.id,
        agentId,
        actor,
        data: { ...extra, attempt: row.attempt, error, requeued: false, attemptsLeft: 0 },
      });
    }
    core.appendEvent({
      type: 'task_failed',
      taskId: row.id,
      agentId,
      actor,
      data: { attempt: row.attempt, error },
    });
    refreshDependentsWaiting(core, row.id, actor);
  }
}

/** Ends an attempt as failed; retried with exponential backoff while attempts remain. */
export function fail(core: LedgerCore, ref: AttemptRef, error: string): WriteResult {
  return core.write(() => {
    const f = fence(core, ref, 'failure');
    if ('stale' in f) return f.stale;
    endAttempt(core, ref, 'failed', error);
    requeueOrFail(core, f.row, error, actorOf(ref), ref.agentId, usageOf(core, ref), {
      requeued: 'attempt_failed',
      failed: 'attempt_failed',
    });
    return OK;
  });
}

/** Requeues (or fails) every claim whose lease ran out, saying which agent went silent and for how long. */
export function expireLeases(core: LedgerCore): number {
  return core.write(() => {
    const now = core.now();
    const rows = core
      .rawSql(
        `SELECT ${TASK_COLUMNS} FROM tasks WHERE status IN ('claimed', 'blocked') AND lease_expires_at < ?`,
      )
      .all(now)
      .map(taskRowFromRaw);
    for (const row of rows) {
      const att = core
        .sql('SELECT agent_id, last_heartbeat_at FROM attempts WHERE task_id = ? AND attempt = ?')
        .get(row.id, row.attempt) as { agent_id: string; last_heartbeat_at: number } | undefined;
      const silentMs = now - (att?.last_heartbeat_at ?? now);
      const error = `lease expired: ${row.owner ?? 'agent'} silent for ${Math.round(silentMs / 1000)}s`;
      endAttempt(core, { taskId: row.id, attempt: row.attempt }, 'expired', error);
      requeueOrFail(
        core,
        row,
        error,
        'system',
        row.owner,
        { silentMs },
        { requeued: 'lease_expired', failed: 'task_failed' },
      );
    }
    return rows.length;
  });
}

/**
 * Gives a task back without spending an attempt (the agent is shutting down cleanly), so another
 * agent can take it at once.
 */
export function release(core: LedgerCore, ref: AttemptRef, reason: string): WriteResult {
  return core.write(() => {
    const f = fence(core, ref, 'release');
    if ('stale' in f) return f.stale;
    endAttempt(core, ref, 'requeued', reason);
    core
      .sql(
        `UPDATE tasks SET status = 'queued', owner = NULL, lease_expires_at = NULL, question = NULL, answer = NULL,
           attempts_base = attempts_base + 1, not_before = 0, updated_at = ? WHERE id = ?`,
      )
      .run(core.now(), ref.taskId);
    core.appendEvent({
      type: 'task_released',
      taskId: ref.taskId,
      agentId: ref.agentId,
      actor: actorOf(ref),
      data: { attempt: ref.attempt, reason },
    });
    return OK;
  });
}
