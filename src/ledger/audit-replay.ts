import type Database from 'better-sqlite3';
import type { TaskRow } from './task-row.ts';
import { TaskReplay, UNKNOWN, type Known, type ReplayedAttempt, type ReplayedTask } from './task-replay.ts';

/** A task row or attempt that does not match what the events say. */
export interface StateProblem {
  taskId: string | null;
  problem: string;
}

/** What comparing the rows with the replay found. */
export interface ReplayCheck {
  tasks: number;
  problems: StateProblem[];
  /** Tasks whose creation event predates the fields some checks need, by field. */
  unchecked: Map<string, number>;
}

interface AttemptRow {
  task_id: string;
  attempt: number;
  agent_id: string;
  outcome: string;
}

/** Short, quoted form of a value for a problem line: long texts are cut, never printed whole. */
function show(value: unknown): string {
  if (value === null || value === undefined) return 'empty';
  const s = JSON.stringify(value);
  return s.length > 60 ? `${s.slice(0, 57)}…"` : s;
}

const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

/** An event row as the per-task replay reads it. */
interface TaskEventRow {
  seq: number;
  type: string;
  task_id: string;
  agent_id: string | null;
  actor: string;
  data: string;
}

/**
 * Replays the events one task at a time (they change only their own task and its attempts) and
 * compares each task row, its dependencies and its attempts with the result, then the swarm's pause
 * switch with its last event. Reading task by task keeps memory flat however many tasks the ledger
 * holds. Lease times and heartbeats are not compared: heartbeats write no event.
 * `replayProblems` collects events that make no sense for their task, in event order.
 */
export function checkRowsByTask(
  db: Database.Database,
  swarmPaused: boolean | undefined,
  parseData: (json: string) => Record<string, unknown>,
): ReplayCheck & { replayProblems: { seq: number; problem: string }[] } {
  const rowProblems: (StateProblem & { order: number })[] = [];
  const goneProblems: (StateProblem & { order: number })[] = [];
  const attemptProblems: StateProblem[] = [];
  const missingAttempts: (StateProblem & { order: number })[] = [];
  const replayProblems: { seq: number; problem: string }[] = [];
  const unchecked = new Map<string, number>();
  const rowOf = db.prepare('SELECT * FROM tasks WHERE id = ?');
  const depsOf = db.prepare('SELECT depends_on FROM task_deps WHERE task_id = ? ORDER BY depends_on');
  const attemptsOf = db.prepare(
    'SELECT task_id, attempt, agent_id, outcome FROM attempts WHERE task_id = ? ORDER BY attempt',
  );

  const finish = (taskId: string, replay: TaskReplay): void => {
    replayProblems.push(...replay.problems);
    const t = replay.tasks.get(taskId);
    const row = rowOf.get(taskId) as TaskRow | undefined;
    if (t && row) {
      const deps = (depsOf.all(taskId) as { depends_on: string }[]).map((r) => r.depends_on).sort();
      const found: StateProblem[] = [];
      compareTask(row, deps, t, found, unchecked);
      for (const p of found) rowProblems.push({ ...p, order: row.seq });
    } else if (t) {
      goneProblems.push({
        taskId,
        problem: `${taskId}: the events describe this task but its row is gone`,
        order: t.createdSeq,
      });
    }
    const seen = new Set<string>();
    for (const a of attemptsOf.all(taskId) as AttemptRow[]) {
      const key = `${a.task_id}#${a.attempt}`;
      seen.add(key);
      checkAttempt(a, replay.attempts.get(key), attemptProblems);
    }
    for (const key of replay.attempts.keys()) {
      if (seen.has(key)) continue;
      const n = key.slice(key.lastIndexOf('#') + 1);
      missingAttempts.push({
        taskId,
        problem: `${taskId} attempt ${n}: claimed in the events, but its row is gone`,
        order: (t?.createdSeq ?? 0) * 1_000 + Number(n),
      });
    }
  };

  let current: { taskId: string; replay: TaskReplay } | undefined;
  const events = db
    .prepare(
      'SELECT seq, type, task_id, agent_id, actor, data FROM events WHERE task_id IS NOT NULL ORDER BY task_id, seq',
    )
    .iterate() as IterableIterator<TaskEventRow>;
  for (const e of events) {
    if (current?.taskId !== e.task_id) {
      if (current) finish(current.taskId, current.replay);
      current = { taskId: e.task_id, replay: new TaskReplay() };
    }
    current.replay.apply({
      seq: e.seq,
      type: e.type,
      taskId: e.task_id,
      agentId: e.agent_id,
      actor: e.actor,
      data: parseData(e.data),
    });
  }
  if (current) finish(current.taskId, current.replay);

  // Rows no event created, and attempts of tasks no event names at all.
  const orphanRows = db
    .prepare(
      `SELECT id, status, seq FROM tasks t WHERE NOT EXISTS
         (SELECT 1 FROM events e WHERE e.task_id = t.id AND e.type = 'task_created')`,
    )
    .all() as { id: string; status: string; seq: number }[];
  for (const row of orphanRows)
    rowProblems.push({
      taskId: row.id,
      problem: `${row.id}: the task is in the tasks table but no event created it (status ${row.status})`,
      order: row.seq,
    });
  const orphanAttempts = db
    .prepare(
      `SELECT task_id, attempt, agent_id, outcome FROM attempts a
       WHERE NOT EXISTS (SELECT 1 FROM events e WHERE e.task_id = a.task_id) ORDER BY task_id, attempt`,
    )
    .all() as AttemptRow[];
  for (const a of orphanAttempts) checkAttempt(a, undefined, attemptProblems);

  const byOrder = (a: { order: number }, b: { order: number }): number => a.order - b.order;
  const strip = ({ order: _order, ...p }: StateProblem & { order: number }): StateProblem => p;
  const problems: StateProblem[] = [
    ...rowProblems.sort(byOrder).map(strip),
    ...goneProblems.sort(byOrder).map(strip),
    ...attemptProblems.sort((a, b) => (a.taskId ?? '').localeCompare(b.taskId ?? '')),
    ...missingAttempts.sort(byOrder).map(strip),
  ];

  const paused = db.prepare("SELECT value FROM kv WHERE key = 'swarm_paused'").get() as
    { value: string } | undefined;
  const isPaused = paused?.value === '1';
  if (isPaused !== (swarmPaused ?? false))
    problems.push({
      taskId: null,
      problem: `the swarm is ${isPaused ? 'paused' : 'running'} but the events say ${isPaused ? 'running' : 'paused'}`,
    });
  const tasks = (db.prepare('SELECT COUNT(*) AS n FROM tasks').get() as { n: number }).n;
  return { tasks, problems, unchecked, replayProblems: replayProblems.sort((a, b) => a.seq - b.seq) };
}

function checkAttempt(a: AttemptRow, expected: ReplayedAttempt | undefined, problems: StateProblem[]): void {
  const where = `${a.task_id} attempt ${a.attempt}`;
  if (!expected) {
    problems.push({ taskId: a.task_id, problem: `${where}: recorded, but no event claimed it` });
    return;
  }
  if (a.agent_id !== expected.agentId)
    problems.push({
      taskId: a.task_id,
      problem: `${where}: agent is ${show(a.agent_id)} but the events say ${show(expected.agentId)}`,
    });
  if (a.outcome !== expected.outcome)
    problems.push({
      taskId: a.task_id,
      problem: `${where}: outcome is ${a.outcome} but the events say ${expected.outcome}`,
    });
}

function compareTask(
  row: TaskRow,
  deps: string[],
  t: ReplayedTask,
  problems: StateProblem[],
  unchecked: Map<string, number>,
): void {
  const id = row.id;
  const differ = (label: string, actual: unknown, expected: unknown): void => {
    if (!same(actual, expected))
      problems.push({
        taskId: id,
        problem: `${id}: ${label} is ${show(actual)} but the events say ${show(expected)}`,
      });
  };
  const maybe = <T>(label: string, actual: unknown, expected: Known<T>): void => {
    if (expected === UNKNOWN) unchecked.set(label, (unchecked.get(label) ?? 0) + 1);
    else differ(label, actual, expected);
  };
  // Status first, unquoted, since it is the line a person looks for.
  if (row.status !== t.status)
    problems.push({ taskId: id, problem: `${id}: status is ${row.status} but the events say ${t.status}` });
  differ('attempt', row.attempt, t.attempt);
  differ('owner', row.owner, t.owner);
  differ('result', row.result, t.result);
  differ('last error', row.last_error, t.lastError);
  differ('question', row.question, t.question);
  differ('title', row.title, t.title);
  differ('creator', row.created_by, t.createdBy);
  differ('dependencies', deps, t.dependsOn);
  differ('idempotency key', row.idempotency_key, /^T-\d+$/i.test(id) ? null : id);
  differ('attempts spent before this run', row.attempts_base, t.attemptsBase);
  differ('progress', [row.progress_pct, row.progress_text], [t.progressPct, t.progressText]);
  differ('notes', parseNotes(row.notes), t.notes);
  const live = row.status === 'claimed' || row.status === 'blocked';
  if (live !== (row.lease_expires_at !== null))
    problems.push({
      taskId: id,
      problem: `${id}: ${live ? 'has no lease although it is' : 'holds a lease although it is'} ${row.status}`,
    });
  maybe('priority', row.priority, t.priority);
  maybe('review flag', row.review === 1, t.review);
  maybe('body', row.body, t.body);
  maybe('skills', parseNotes(row.skills), t.skills);
  maybe('timeout', row.timeout_ms, t.timeoutMs);
  maybe('attempt limit', row.max_attempts, t.maxAttempts);
  maybe('assignee', row.assignee, t.assignee);
  maybe('waiting reason', row.waiting_reason, t.waitingReason);
  maybe('retry time', row.not_before, t.notBefore);
}

/** A stored JSON list, or the raw text when it is not one (so the difference is reported, not thrown). */
function parseNotes(json: string): unknown {
  try {
    return JSON.parse(json) as unknown;
  } catch {
    return json;
  }
}
