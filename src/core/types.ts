/**
 * Core vocabulary of chat-swarm.
 *
 * - task: a unit of work with an id (`T-17` or a creator's key like `ORA-001`), skills, priority, deps.
 * - agent: a worker identity with skills and a capacity; runs a worker per claimed task.
 * - attempt: one claim of a task by an agent; its number is the fencing token for every agent write.
 * - lease: how long an attempt stays valid without a heartbeat.
 * - event: an append-only, hash-chained record of every state change in the ledger.
 * - outbox: messages the ledger wants shown in the channel; the poster drains it under rate limits.
 * - inbox: messages received from the channel, keyed by platform message id, applied once.
 */

export const TASK_STATUSES = [
  'queued',
  'claimed',
  'blocked',
  'review',
  'done',
  'failed',
  'cancelled',
] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];

/** Final states never change again except through an explicit `/retry` (failed, cancelled). */
export const FINAL_STATUSES: ReadonlySet<TaskStatus> = new Set(['done', 'failed', 'cancelled']);

export interface Task {
  id: string;
  title: string;
  body: string;
  skills: string[];
  priority: number;
  dependsOn: string[];
  review: boolean;
  timeoutMs: number;
  maxAttempts: number;
  status: TaskStatus;
  /** Current (or last) attempt number; 0 before the first claim. */
  attempt: number;
  /** Agent that holds the current claim, if any. */
  owner: string | null;
  /** Agent the task is assigned to; only that agent may claim it. */
  assignee: string | null;
  leaseExpiresAt: number | null;
  /** Earliest time a queued task may be claimed (retry backoff). */
  notBefore: number;
  progressPct: number | null;
  progressText: string | null;
  question: string | null;
  result: string | null;
  lastError: string | null;
  /** Why a queued task cannot run yet (failed dependency), shown on the board. */
  waitingReason: string | null;
  notes: string[];
  createdBy: string;
  idempotencyKey: string | null;
  createdAt: number;
  updatedAt: number;
}

export type AgentStatus = 'active' | 'paused' | 'offline';

export interface AgentRecord {
  id: string;
  skills: string[];
  capacity: number;
  status: AgentStatus;
  lastHeartbeatAt: number | null;
  /** Process id of the runtime that registered it last, for the board. */
  pid: number | null;
  /** Random id of that process's runtime (one live process per agent id); null before it had one. */
  instance: string | null;
  /** Host that process runs on. */
  host: string | null;
  /** When that process registered. */
  startedAt: number | null;
}

export type AttemptOutcome = 'running' | 'done' | 'review' | 'failed' | 'expired' | 'cancelled' | 'requeued';

export interface Attempt {
  taskId: string;
  attempt: number;
  agentId: string;
  startedAt: number;
  leaseExpiresAt: number;
  endedAt: number | null;
  outcome: AttemptOutcome;
  error: string | null;
}

/** A stored, hash-chained ledger event. */
export interface SwarmEvent {
  seq: number;
  at: number;
  type: string;
  taskId: string | null;
  agentId: string | null;
  actor: string;
  data: Record<string, unknown>;
  prevHash: string;
  hash: string;
  /**
   * The stored data as it is, when it is not a JSON object (only a hand edit of the file makes it
   * so; `data` is then empty). Set only by readers that tolerate damage (the board, the export).
   */
  damagedData?: string;
}

/** A clock that tests can replace; the ledger never calls Date.now directly. */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };
