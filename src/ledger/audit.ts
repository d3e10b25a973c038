import type Database from 'better-sqlite3';
import { checkChain } from './audit-chain.ts';
export type { EventRow } from './audit-chain.ts';
import { checkCheckpoint, type Checkpoint, type CheckpointCheck } from './audit-checkpoint.ts';
import type { AuditKey } from './audit-key.ts';
import { checkMirror } from './audit-mirror.ts';
import { checkRowsByTask } from './audit-replay.ts';
import { TaskReplay } from './task-replay.ts';

export interface AuditProblem {
  seq: number | null;
  /**
   * chain: the log was altered; key: the audit key does not fit the chain; state: a task row (or
   * attempt, or the pause switch) is not what the events say; checkpoint: the ledger does not hold
   * the checkpoint's event; mirror: a message failed or is missing; pending: not posted yet.
   */
  kind: 'chain' | 'key' | 'state' | 'checkpoint' | 'mirror' | 'pending';
  problem: string;
  /** The task a state problem is about. */
  taskId?: string;
}

export interface AuditReport {
  events: number;
  mirroredEvents: number;
  /** Task rows compared with the replayed events. */
  tasks: number;
  problems: AuditProblem[];
  /** What could not be checked, and why (not failures). */
  notes: string[];
  /** First event written with the audit key, or null when the chain was never keyed. */
  keyedFrom: number | null;
  /** The newest event, the head a checkpoint would record. */
  head: { seq: number; hash: string } | null;
  /** How the ledger compares with each checkpoint given. */
  checkpoints: Omit<CheckpointCheck, 'problems'>[];
}

export interface AuditOptions {
  /** The audit key: keyed events are verified with it. */
  key?: AuditKey;
  /** Checkpoints from outside the ledger (the channel's, one typed by hand). */
  checkpoints?: { checkpoint: Checkpoint; source: string }[];
}

function parseData(json: string): Record<string, unknown> {
  try {
    const v = JSON.parse(json) as unknown;
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/**
 * Verifies the ledger: the event chain is unbroken (no event edited, inserted or removed after the
 * fact; with the audit key, no event rewritten without it), every task row is what the replayed
 * events say, the ledger holds the given checkpoint, and every event meant for the channel reached it.
 */
export function auditLedger(db: Database.Database, options: AuditOptions = {}): AuditReport {
  // The chain in event order; the swarm-wide events (pause) replayed here, the tasks' afterwards one
  // task at a time, so memory does not grow with the number of tasks.
  const swarm = new TaskReplay();
  const mirroredSeqs: number[] = [];
  const chain = checkChain(db, options.key, (row) => {
    if (row.mirrored === 1) mirroredSeqs.push(row.seq);
    if (row.task_id !== null) return;
    swarm.apply({
      seq: row.seq,
      type: row.type,
      taskId: row.task_id,
      agentId: row.agent_id,
      actor: row.actor,
      data: parseData(row.data),
    });
  });
  const problems: AuditProblem[] = [...chain.problems];
  const rows = checkRowsByTask(db, swarm.swarmPaused, parseData);
  for (const p of rows.replayProblems) problems.push({ seq: p.seq, kind: 'chain', problem: p.problem });
  for (const p of rows.problems)
    problems.push({
      seq: null,
      kind: 'state',
      problem: p.problem,
      ...(p.taskId ? { taskId: p.taskId } : {}),
    });

  const checkpoints: AuditReport['checkpoints'] = [];
  for (const given of options.checkpoints ?? []) {
    const { problems: cpProblems, ...rest } = checkCheckpoint(db, given.checkpoint, given.source);
    checkpoints.push(rest);
    for (const problem of cpProblems)
      problems.push({ seq: given.checkpoint.seq, kind: 'checkpoint', problem });
  }
  problems.push(...checkMirror(db, mirroredSeqs));

  const notes = [...chain.notes];
  if (rows.unchecked.size > 0) {
    const fields = [...rows.unchecked].map(([field, n]) => `${field} (${n})`).join(', ');
    notes.push(
      `some tasks were created or retried by an older chat-swarm whose events do not record every field; not checked: ${fields}`,
    );
  }
  notes.push('lease expiry times are not checked: heartbeats extend them without writing an event');
  return {
    events: chain.events,
    mirroredEvents: mirroredSeqs.length,
    tasks: rows.tasks,
    problems,
    notes,
    keyedFrom: chain.keyedFrom,
    head: chain.head ?? null,
    checkpoints,
  };
}
