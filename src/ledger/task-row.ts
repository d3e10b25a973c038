import { z } from 'zod';
import { LedgerError } from '../core/errors.ts';
import { TASK_STATUSES, type Task, type TaskStatus } from '../core/types.ts';

/** A row of the tasks table as better-sqlite3 returns it. */
export interface TaskRow {
  id: string;
  seq: number;
  title: string;
  body: string;
  skills: string;
  priority: number;
  review: number;
  timeout_ms: number;
  max_attempts: number;
  attempts_base: number;
  status: string;
  attempt: number;
  owner: string | null;
  assignee: string | null;
  lease_expires_at: number | null;
  not_before: number;
  deps_pending: number;
  progress_pct: number | null;
  progress_text: string | null;
  question: string | null;
  answer: string | null;
  result: string | null;
  last_error: string | null;
  waiting_reason: string | null;
  notes: string;
  created_by: string;
  idempotency_key: string | null;
  created_at: number;
  updated_at: number;
}

/**
 * The tasks table's columns, in the order `taskRowFromRaw` reads them: select them with this list
 * and a statement in raw mode (`LedgerCore.rawSql`).
 */
export const TASK_COLUMNS =
  'id, seq, title, body, skills, priority, review, timeout_ms, max_attempts, attempts_base, status, attempt, owner, assignee, lease_expires_at, not_before, deps_pending, progress_pct, progress_text, question, answer, result, last_error, waiting_reason, notes, created_by, idempotency_key, created_at, updated_at';

/** How many columns `TASK_COLUMNS` lists: a statement may select more after them. */
export const TASK_COLUMN_COUNT = TASK_COLUMNS.split(', ').length;

/**
 * A task row read as an array (`SELECT ${TASK_COLUMNS}` in raw mode, or `json_array(...)` of them
 * parsed). better-sqlite3 builds a
 * named-column row by setting each property through V8's slow path, which for this 29-column row
 * was the largest single cost of a claim (a fifth of its instructions under callgrind); an array
 * and this object literal cost a fraction of it.
 */
export function taskRowFromRaw(raw: unknown): TaskRow {
  const v = raw as unknown[];
  return {
    id: v[0] as TaskRow['id'],
    seq: v[1] as TaskRow['seq'],
    title: v[2] as TaskRow['title'],
    body: v[3] as TaskRow['body'],
    skills: v[4] as TaskRow['skills'],
    priority: v[5] as TaskRow['priority'],
    review: v[6] as TaskRow['review'],
    timeout_ms: v[7] as TaskRow['timeout_ms'],
    max_attempts: v[8] as TaskRow['max_attempts'],
    attempts_base: v[9] as TaskRow['attempts_base'],
    status: v[10] as TaskRow['status'],
    attempt: v[11] as TaskRow['attempt'],
    owner: v[12] as TaskRow['owner'],
    assignee: v[13] as TaskRow['assignee'],
    lease_expires_at: v[14] as TaskRow['lease_expires_at'],
    not_before: v[15] as TaskRow['not_before'],
    deps_pending: v[16] as TaskRow['deps_pending'],
    progress_pct: v[17] as TaskRow['progress_pct'],
    progress_text: v[18] as TaskRow['progress_text'],
    question: v[19] as TaskRow['question'],
    answer: v[20] as TaskRow['answer'],
    result: v[21] as TaskRow['result'],
    last_error: v[22] as TaskRow['last_error'],
    waiting_reason: v[23] as TaskRow['waiting_reason'],
    notes: v[24] as TaskRow['notes'],
    created_by: v[25] as TaskRow['created_by'],
    idempotency_key: v[26] as TaskRow['idempotency_key'],
    created_at: v[27] as TaskRow['created_at'],
    updated_at: v[28] as TaskRow['updated_at'],
  };
}

// Stored JSON is a trust boundary too: a hand-edited ledger must fail loudly, not half-work.
const stringList = z.array(z.string());
const statuses: ReadonlySet<string> = new Set(TASK_STATUSES);
const isStatus = (s: string): s is TaskStatus => statuses.has(s);

function parseList(json: string, field: string, taskId: string): string[] {
  // The empty list is by far the most common value: no parse for it (a claim reads two per task).
  if (json === '[]') return [];
  try {
    return stringList.parse(JSON.parse(json));
  } catch (cause) {
    throw new LedgerError('ledger_corrupt', `task ${taskId}: stored ${field} is not a list of strings`, {
      cause,
    });
  }
}

/** Converts a stored row into the core Task shape, validating its JSON columns. */
export function toTask(row: TaskRow, dependsOn: string[]): Task {
  const status = row.status;
  if (!isStatus(status))
    throw new LedgerError('ledger_corrupt', `task ${row.id}: unknown status '${status}'`);
  return {
    id: row.id,
    title: row.title,
    body: row.body,
    skills: parseList(row.skills, 'skills', row.id),
    priority: row.priority,
    dependsOn,
    review: row.review === 1,
    timeoutMs: row.timeout_ms,
    maxAttempts: row.max_attempts,
    status,
    attempt: row.attempt,
    owner: row.owner,
    assignee: row.assignee,
    leaseExpiresAt: row.lease_expires_at,
    notBefore: row.not_before,
    progressPct: row.progress_pct,
    progressText: row.progress_text,
    question: row.question,
    result: row.result,
    lastError: row.last_error,
    waitingReason: row.waiting_reason,
    notes: parseList(row.notes, 'notes', row.id),
    createdBy: row.created_by,
    idempotencyKey: row.idempotency_key,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** Attempts still allowed before the task fails for good. */
export function attemptsLeft(row: Pick<TaskRow, 'max_attempts' | 'attempt' | 'attempts_base'>): number {
  return row.max_attempts - (row.attempt - row.attempts_base);
}
