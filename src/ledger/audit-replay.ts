import type Database from 'better-sqlite3';
import type { TaskRow } from './task-row.ts';
import { UNKNOWN, type Known, type ReplayedTask, type TaskReplay } from './task-replay.ts';

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

/**
 * Compares every task row, its dependencies and its attempts with the replayed events, and the
 * swarm's pause switch with its last event. Lease times and heartbeats are not compared: heartbeats
 * write no event.
 */
export function checkRowsAgainstReplay(db: Database.Database, replay: TaskReplay): ReplayCheck {
  const problems: StateProblem[] = [];
  const unchecked = new Map<string, number>();
  const seen = new Set<string>();
  const depsOf = db.prepare('SELECT depends_on FROM task_deps WHERE task_id = ? ORDER BY depends_on');
  let tasks = 0;

  for (const row of db.prepare('SELECT * FROM tasks ORDER BY seq').iterate() as IterableIterator<TaskRow>) {
    tasks++;
    seen.add(row.id);
    const t = replay.tasks.get(row.id);
    if (!t) {
      problems.push({
        taskId: row.id,
        problem: `${row.id}: the task is in the tasks table but no event created it (status ${row.status})`,
      });
      continue;
    }
    const deps = (depsOf.all(row.id) as { depends_on: string }[]).map((r) => r.depends_on).sort();
    compareTask(row, deps, t, problems, unchecked);
  }
  for (const id of replay.tasks.keys()) {
    if (!seen.has(id))
      problems.push({ taskId: id, problem: `${id}: the events describe this task but its row is gone` });
  }

  const attemptRows = db
    .prepare('SELECT task_id, attempt, agent_id, outcome FROM attempts ORDER BY task_id, attempt')
    .all() as AttemptRow[];
  const attemptSeen = new Set<string>();
  for (const a of attemptRows) {
    const key = `${a.task_id}#${a.attempt}`;
    attemptSeen.add(key);
    const expected = replay.attempts.get(key);
    const where = `${a.task_id} attempt ${a.attempt}`;
    if (!expected) {
      problems.push({ taskId: a.task_id, problem: `${where}: recorded, but no event claimed it` });
      continue;
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
  for (const key of replay.attempts.keys()) {
    if (!attemptSeen.has(key)) {
      const [taskId = '', n = ''] = key.split('#');
      problems.push({
        taskId,
        problem: `${taskId} attempt ${n}: claimed in the events, but its row is gone`,
      });
    }
  }

  const paused = db.prepare("SELECT value FROM kv WHERE key = 'swarm_paused'").get() as
    { value: string } | undefined;
  const isPaused = paused?.value === '1';
  if (isPaused !== (replay.swarmPaused ?? false))
    problems.push({
      taskId: null,
      problem: `the swarm is ${isPaused ? 'paused' : 'running'} but the events say ${isPaused ? 'running' : 'paused'}`,
    });
  return { tasks, problems, unchecked };
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
