import { LedgerError } from '../core/errors.ts';
import { TASK_KEY_RULE, taskKeyProblem } from '../core/task-key.ts';
import type { Task } from '../core/types.ts';
import { waitingReasonOf } from './dependents.ts';
import type { LedgerCore } from './ledger-core.ts';
import { TASK_COLUMN_COUNT, TASK_COLUMNS, taskRowFromRaw, toTask, type TaskRow } from './task-row.ts';
import { insertTaskBudget } from './usage-ops.ts';
import type { Budget } from '../core/usage.ts';

/** Fields a creator gives; everything else has a default. */
export interface NewTask {
  title: string;
  body?: string;
  skills?: string[];
  priority?: number;
  dependsOn?: string[];
  review?: boolean;
  /** Becomes the task id and its idempotency key: creating it again returns the existing task. */
  key?: string;
  timeoutMs?: number;
  maxAttempts?: number;
  assignee?: string;
  /** A cap on what the task may spend (see usage-ops.ts); the attempt is stopped when it is crossed. */
  budget?: Budget;
}

export type CreateResult = { created: boolean; task: Task };

/** Identifies one attempt; every agent write carries it and is refused when it is not current. */
export interface AttemptRef {
  taskId: string;
  attempt: number;
  agentId: string;
}

export type WriteResult =
  { ok: true } | { ok: false; reason: 'stale'; status: string; currentAttempt: number };

export type ClaimResult =
  | { kind: 'claimed'; task: Task; attempt: number; leaseExpiresAt: number }
  | { kind: 'none' }
  | { kind: 'paused' }
  | { kind: 'taken' }
  | { kind: 'not_eligible'; reason: string };

export interface ClaimingAgent {
  id: string;
  skills: string[];
  leaseMs?: number;
  /** The claiming process's instance id, recorded on the attempt (see `registerAgent`). */
  instance?: string;
}

export function loadTask(core: LedgerCore, id: string): Task | undefined {
  const row = core.taskRow(id);
  return row ? toTask(row, core.dependsOn(id)) : undefined;
}

/** Refuses a key that breaks {@link TASK_KEY_RULE} or reads as a task number, saying which. */
function checkKey(key: string): void {
  const problem = taskKeyProblem(key);
  if (problem === 'rule')
    throw new LedgerError('bad_key', `key ${JSON.stringify(key.slice(0, 80))} refused: ${TASK_KEY_RULE}`);
  if (problem === 'number')
    throw new LedgerError(
      'bad_key',
      `key '${key}' looks like an automatic task id (T-12 or 12); choose another key, like ORA-001`,
    );
}

/** Creates a task, or returns the existing one when its key was used before (idempotent create). */
export function createTask(core: LedgerCore, input: NewTask, actor: string): CreateResult {
  if (input.key !== undefined) checkKey(input.key);
  return core.write(() => {
    if (input.key !== undefined) {
      const existing = core.sql('SELECT id FROM tasks WHERE idempotency_key = ?').get(input.key) as
        { id: string } | undefined;
      if (existing) return { created: false, task: loadTask(core, existing.id)! };
    }
    const deps = [...new Set(input.dependsOn ?? [])];
    let pending = 0;
    for (const dep of deps) {
      const row = core.taskRow(dep);
      if (!row) throw new LedgerError('unknown_task', `dependency ${dep} does not exist`);
      if (row.status !== 'done') pending++;
    }
    const now = core.now();
    const seq = ((core.sql('SELECT MAX(seq) AS m FROM tasks').get() as { m: number | null }).m ?? 0) + 1;
    const id = input.key ?? `T-${seq}`;
    if (deps.includes(id)) throw new LedgerError('bad_dependency', `task ${id} cannot depend on itself`);
    const o = core.options;
    core
      .sql(
        `INSERT INTO tasks (id, seq, title, body, skills, priority, review, timeout_ms, max_attempts, status,
          assignee, deps_pending, waiting_reason, created_by, idempotency_key, created_at, updated_at)
         VALUES (?,?,?,?,?,?,?,?,?,'queued',?,?,?,?,?,?,?)`,
      )
      .run(
        id,
        seq,
        input.title,
        input.body ?? '',
        JSON.stringify(input.skills ?? []),
        input.priority ?? o.defaultPriority,
        input.review ? 1 : 0,
        input.timeoutMs ?? o.defaultTimeoutMs,
        input.maxAttempts ?? o.defaultMaxAttempts,
        input.assignee ?? null,
        pending,
        null,
        actor,
        input.key ?? null,
        now,
        now,
      );
    for (const dep of deps)
      core.sql('INSERT INTO task_deps (task_id, depends_on) VALUES (?, ?)').run(id, dep);
    if (input.budget) insertTaskBudget(core, id, input.budget);
    // A dependency that already failed or was cancelled: say so from the start.
    const reason = waitingReasonOf(core, id);
    if (reason) core.sql('UPDATE tasks SET waiting_reason = ? WHERE id = ?').run(reason, id);
    // Every field the row starts with, so `audit` can replay the row from the events alone.
    core.appendEvent({
      type: 'task_created',
      taskId: id,
      actor,
      data: {
        title: input.title,
        dependsOn: deps,
        body: input.body ?? '',
        skills: input.skills ?? [],
        priority: input.priority ?? o.defaultPriority,
        review: input.review === true,
        timeoutMs: input.timeoutMs ?? o.defaultTimeoutMs,
        maxAttempts: input.maxAttempts ?? o.defaultMaxAttempts,
        assignee: input.assignee ?? null,
        waitingReason: reason,
        ...(input.budget ? { budget: input.budget } : {}),
      },
    });
    return { created: true, task: loadTask(core, id)! };
  });
}

function isPaused(core: LedgerCore, agentId: string): boolean {
  // One value, not a row: better-sqlite3 builds row objects slowly, and every idle agent's claim
  // that finds nothing (the candidate SELECT already leaves out paused ones) asks this.
  return (
    core
      .sql(
        "SELECT coalesce((SELECT value FROM kv WHERE key = 'swarm_paused') = '1', 0) OR coalesce((SELECT status FROM agents WHERE id = ?) = 'paused', 0)",
      )
      .pluck()
      .get(agentId) === 1
  );
}

/** Claims `row`'s task for the agent; `hasDeps` false when it is known to have no dependencies. */
function takeClaim(core: LedgerCore, row: TaskRow, agent: ClaimingAgent, hasDeps = true): ClaimResult {
  const now = core.now();
  const attempt = row.attempt + 1;
  const leaseExpiresAt = now + (agent.leaseMs ?? core.options.leaseMs);
  const changed = core
    .sql(
      `UPDATE tasks SET status = 'claimed', attempt = ?, owner = ?, lease_expires_at = ?, progress_pct = NULL,
         progress_text = NULL, question = NULL, answer = NULL, updated_at = ? WHERE id = ? AND status = 'queued' AND attempt = ?`,
    )
    .run(attempt, agent.id, leaseExpiresAt, now, row.id, row.attempt).changes;
  if (changed !== 1) return { kind: 'taken' };
  core
    .sql(
      'INSERT INTO attempts (task_id, attempt, agent_id, started_at, lease_expires_at, last_heartbeat_at, instance) VALUES (?,?,?,?,?,?,?)',
    )
    .run(row.id, attempt, agent.id, now, leaseExpiresAt, now, agent.instance ?? null);
  core.appendEvent({
    type: 'task_claimed',
    taskId: row.id,
    agentId: agent.id,
    actor: `agent:${agent.id}`,
    data: { attempt, try: attempt - row.attempts_base, maxAttempts: row.max_attempts },
  });
  // The row as the UPDATE above left it, without reading it back.
  const claimed: TaskRow = {
    ...row,
    status: 'claimed',
    attempt,
    owner: agent.id,
    lease_expires_at: leaseExpiresAt,
    progress_pct: null,
    progress_text: null,
    question: null,
    answer: null,
    updated_at: now,
  };
  // Read apart, and only when there are some (the candidate SELECT says): a json_group_array
  // subquery in the candidate SELECT cost four times as much, dependencies or not.
  const deps = hasDeps ? core.dependsOn(row.id) : [];
  return { kind: 'claimed', task: toTask(claimed, deps), attempt, leaseExpiresAt };
}

// The best eligible task for the agent (its dependencies are read apart: see takeClaim).
// None while the swarm or the agent is paused. One JSON array: the row's columns, then whether the
// task has any dependencies at all. better-sqlite3 fills even a raw row one element at a time
// through V8's generic property path; one string and JSON.parse cost a third of that (callgrind).
const CANDIDATE_WHERE = `FROM tasks WHERE NOT EXISTS (SELECT 1 FROM kv WHERE key = 'swarm_paused' AND value = '1')
     AND NOT EXISTS (SELECT 1 FROM agents WHERE id = ? AND status = 'paused')
     AND status = 'queued' AND deps_pending = 0 AND not_before <= ?
     AND (assignee IS NULL OR assignee = ?)
     AND (tasks.skills = '[]' OR NOT EXISTS
       (SELECT 1 FROM json_each(tasks.skills) s WHERE s.value NOT IN (SELECT value FROM json_each(?))))
   ORDER BY priority DESC, seq LIMIT 1`;
const HAS_DEPS = 'EXISTS (SELECT 1 FROM task_deps WHERE task_id = tasks.id)';
const CANDIDATE_SQL = `SELECT json_array(${TASK_COLUMNS}, ${HAS_DEPS}) ${CANDIDATE_WHERE}`;
// The same as a raw row, for a candidate json_array refuses: a BLOB in a column (only a hand edit
// of the file puts one there) would otherwise stop every claim with SQLite's "JSON cannot hold BLOB
// values".
const CANDIDATE_RAW_SQL = `SELECT ${TASK_COLUMNS}, ${HAS_DEPS} ${CANDIDATE_WHERE}`;

/** The candidate test alone: is there a task this agent may claim right now? */
const HAS_CANDIDATE_SQL = `SELECT 1 ${CANDIDATE_WHERE}`;

/** Claims the best eligible task for the agent: skills it has, highest priority, then oldest. */
export function claimNext(core: LedgerCore, agent: ClaimingAgent): ClaimResult {
  // A read first, with the claim's own conditions: idle agents are woken by every commit, and one
  // that cannot take what is queued (skills, assignee, a pause) must not queue for the write lock
  // only to find nothing. The write looks again: the read is not under the lock.
  if (!core.sql(HAS_CANDIDATE_SQL).get(...candidateParams(core, agent)))
    return isPaused(core, agent.id) ? { kind: 'paused' } : { kind: 'none' };
  return core.write(() => claimNextInWrite(core, agent));
}

function candidateParams(core: LedgerCore, agent: ClaimingAgent): unknown[] {
  return [agent.id, core.now(), agent.id, JSON.stringify(agent.skills)];
}

/** `claimNext` inside the caller's write transaction (which already holds the write lock). */
export function claimNextInWrite(core: LedgerCore, agent: ClaimingAgent): ClaimResult {
  const params = candidateParams(core, agent);
  let raw: unknown[] | undefined;
  try {
    const json = core
      .sql(CANDIDATE_SQL)
      .pluck()
      .get(...params) as string | undefined;
    raw = json === undefined ? undefined : (JSON.parse(json) as unknown[]);
  } catch (err) {
    // SQLite's wording since JSON1 (3.38 and later); the test in task-row.test.ts fails if it changes.
    if (!/JSON cannot hold BLOB/i.test(String(err))) throw err;
    raw = core.rawSql(CANDIDATE_RAW_SQL).get(...params) as unknown[] | undefined;
  }
  // No candidate: maybe because the swarm or the agent is paused (the SELECT finds none then).
  if (raw === undefined) return isPaused(core, agent.id) ? { kind: 'paused' } : { kind: 'none' };
  return takeClaim(core, taskRowFromRaw(raw), agent, raw[TASK_COLUMN_COUNT] === 1);
}

/** Claims one named task; `taken` when someone else has it, `not_eligible` with the reason otherwise. */
export function claimTask(core: LedgerCore, taskId: string, agent: ClaimingAgent): ClaimResult {
  return core.write(() => {
    const row = core.requireTask(taskId);
    if (row.status === 'claimed' || row.status === 'blocked' || row.status === 'review')
      return { kind: 'taken' };
    if (row.status !== 'queued') return { kind: 'not_eligible', reason: `task is ${row.status}` };
    if (isPaused(core, agent.id)) return { kind: 'paused' };
    if (row.deps_pending > 0) return { kind: 'not_eligible', reason: 'waiting for dependencies' };
    if (row.assignee && row.assignee !== agent.id)
      return { kind: 'not_eligible', reason: `assigned to ${row.assignee}` };
    const missing = (JSON.parse(row.skills) as string[]).filter((s) => !agent.skills.includes(s));
    if (missing.length) return { kind: 'not_eligible', reason: `missing skills: ${missing.join(', ')}` };
    if (row.not_before > core.now()) return { kind: 'not_eligible', reason: 'retry backoff has not elapsed' };
    return takeClaim(core, row, agent);
  });
}

/** What the fence reads of a task: enough to check the attempt and for every fenced write to act on. */
export type FenceRow = Pick<
  TaskRow,
  'id' | 'status' | 'attempt' | 'owner' | 'review' | 'answer' | 'attempts_base' | 'max_attempts'
>;

const FENCE_SQL =
  'SELECT id, status, attempt, owner, review, answer, attempts_base, max_attempts FROM tasks WHERE id = ?';

/**
 * Checks that `ref` is the task's current attempt. A stale write is refused and recorded as an
 * event, so a zombie that wakes after its lease ran out cannot overwrite the new owner's work.
 */
export function fence(
  core: LedgerCore,
  ref: AttemptRef,
  op: string,
): { row: FenceRow } | { stale: WriteResult } {
  const row = core.sql(FENCE_SQL).get(ref.taskId) as FenceRow | undefined;
  if (!row) throw new LedgerError('unknown_task', `no task ${ref.taskId}`);
  const live = row.status === 'claimed' || row.status === 'blocked';
  if (live && row.attempt === ref.attempt && row.owner === ref.agentId) return { row };
  core.appendEvent({
    type: 'stale_write_refused',
    taskId: ref.taskId,
    agentId: ref.agentId,
    actor: `agent:${ref.agentId}`,
    data: { op, attempt: ref.attempt, current: row.attempt, status: row.status },
  });
  return { stale: { ok: false, reason: 'stale', status: row.status, currentAttempt: row.attempt } };
}
