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
