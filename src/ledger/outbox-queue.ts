import type Database from 'better-sqlite3';
import { LedgerError } from '../core/errors.ts';
import type { EventRow } from './audit-chain.ts';
import type { LedgerCore } from './ledger-core.ts';
import { eventDataOf } from './event-ops.ts';
import { planMirror, type EventData } from './mirror-plan.ts';

/**
 * The outbox is filled from the event log, after the fact. A state change commits its event only;
 * the rows the channel needs for it (planned by `planMirror`, which reads nothing but the event) are
 * queued later, in batches, by whoever reads the outbox: the poster before it picks a row, `add`
 * before it queues a row of its own. A cursor in `kv`, moved in the same transaction as the rows it
 * covers, says which events are queued: a crash between the two loses or doubles nothing.
 *
 * Why: the rows were most of what an agent's commit wrote (five or six of its thirteen pages, and
 * eight of its nineteen statements). Queued in a batch, they share their pages and statements
 * across many events, and a status refresh superseded within a batch costs nothing more.
 */
const OUTBOX_QUEUED_KEY = 'outbox_queued_seq';

/** Events queued per transaction: bounds how long a backlog (a swarm without its poster) holds the lock. */
export const QUEUE_BATCH = 100;

/** Event data read per batch, at most (plus the event that passes it): results can be large. */
const BATCH_BYTES = 4 * 1024 * 1024;

const QUEUED_SQL = `SELECT CAST(value AS INTEGER) AS seq FROM kv WHERE key = '${OUTBOX_QUEUED_KEY}'`;
const SET_QUEUED_SQL = `INSERT INTO kv (key, value) VALUES ('${OUTBOX_QUEUED_KEY}', ?)
  ON CONFLICT(key) DO UPDATE SET value = excluded.value`;
// Newest event and the cursor in one read: the check every outbox reader makes first.
const BEHIND_SQL = `SELECT (SELECT seq FROM events ORDER BY seq DESC LIMIT 1) AS head, (${QUEUED_SQL}) AS queued`;
const UNQUEUED_SQL = `SELECT seq, at, type, task_id, agent_id, actor, data FROM events
  WHERE seq > ? AND seq <= ? AND mirrored = 1 ORDER BY seq`;
// Supersedes the pending status rows of the tasks (a JSON array) on a channel, through the
// pending-status index: once per batch, or for the one row `addOutboxRow` queues.
const SUPERSEDE_STATUSES_SQL = `UPDATE outbox SET status = 'superseded'
  WHERE status = 'pending' AND kind = 'status' AND channel = ? AND task_id IN (SELECT value FROM json_each(?))
  RETURNING task_id, priority`;
// Every row is written here, after the events before it are queued: via_queue says so (migration 9
// refuses an event's row without it, as only older code writes one).
const INSERT_OUTBOX_SQL = `INSERT INTO outbox (channel, kind, event_seq, task_id, priority, payload, created_at, via_queue)
  VALUES (?,?,?,?,?,?,?,1)`;
const INSERT_SUPERSEDED_SQL = `INSERT INTO outbox (channel, kind, event_seq, task_id, priority, payload, created_at, status, via_queue)
  VALUES (?,?,?,?,?,?,?,'superseded',1)`;

/** A row of UNQUEUED_SQL in raw mode, in its column order. */
type UnqueuedEvent = [
  seq: EventRow['seq'],
  at: EventRow['at'],
  type: EventRow['type'],
  taskId: EventRow['task_id'],
  agentId: EventRow['agent_id'],
  actor: EventRow['actor'],
  data: EventRow['data'],
];
const SEQ = 0;
const DATA = 6;

/** What a row no event plans may point at. */
export interface OutboxRefs {
  eventSeq?: number | null;
  taskId?: string | null;
}

/**
 * The last event whose rows are queued. Migration 8 sets it; a ledger without it has lost a row of
 * `kv`, and queueing from 0 would post its whole history again, so that is an error.
 */
export function queuedThrough(core: LedgerCore): number {
  const row = core.sql(QUEUED_SQL).get() as { seq: number | null } | undefined;
  if (row?.seq == null) throw missingCursor();
  return row.seq;
}

/**
 * The cursor as stored, read on a bare connection without failing: undefined on a ledger from
 * before migration 8 (opened read-only, so not upgraded) or one that lost it. For readers that
 * only report (the audit, the board); the queue itself uses `queuedThrough`.
 */
export function storedQueuedCursor(db: Database.Database): number | undefined {
  const row = db.prepare(QUEUED_SQL).get() as { seq: number | null } | undefined;
  return row?.seq ?? undefined;
}

function missingCursor(): LedgerError {
  return new LedgerError(
    'ledger_corrupt',
    `the ledger has lost its outbox cursor (kv '${OUTBOX_QUEUED_KEY}'); set it to the last event whose messages were queued`,
  );
}

/** How many events (mirrored or not) are newer than the cursor; 0 when the outbox is up to date. */
export function eventsBehind(core: LedgerCore): number {
  const { head, queued } = cursorAndHead(core);
  return Math.max(0, head - queued);
}

function cursorAndHead(core: LedgerCore): { head: number; queued: number } {
  const row = core.sql(BEHIND_SQL).get() as { head: number | null; queued: number | null };
  if (row.queued === null) throw missingCursor();
  return { head: row.head ?? 0, queued: row.queued };
}

/** The rows a batch of events asks for, worked out before the write lock is taken. */
interface BatchPlan {
  from: number;
  last: number;
  rows: PlannedRow[];
}

interface PlannedRow {
  kind: string;
  priority: number;
  payload: string;
  seq: number;
  taskId: string | null;
  at: number;
  /** Goes in already superseded: a later status row of the same task is in the same batch. */
  superseded: boolean;
}

/**
 * Reads up to `limit` events past the cursor and plans their rows (one row per intent; the channels
 * are added when written). Null when the cursor is at the newest event.
 */
function planBatch(core: LedgerCore, limit: number): BatchPlan | null {
  const { head, queued: from } = cursorAndHead(core);
  if (head <= from) return null;
  let last = Math.min(head, from + limit);
  const events: UnqueuedEvent[] = [];
  let bytes = 0;
  // Raw rows (arrays): better-sqlite3 builds a row object through V8's slow property path.
  for (const e of core.rawSql(UNQUEUED_SQL).iterate(from, last) as IterableIterator<UnqueuedEvent>) {
    events.push(e);
    bytes += e[DATA].length;
    // Large results: end the batch here (the events after it are the next batch's).
    if (bytes > BATCH_BYTES && e[SEQ] < last) {
      last = e[SEQ];
      break;
    }
  }
  const rows: PlannedRow[] = [];
  // A task's status refreshes in one batch: only the last stays pending (it renders the live state
  // when sent), taking the most urgent priority of them all; the others go in already superseded,
  // which spares the pending indexes an insert and a delete each.
  const lastStatus = new Map<string, PlannedRow>();
  for (const [seq, at, type, taskId, agentId, actor, data] of events) {
    const intents = planMirror(type, agentId, actor, { ...eventData(data), taskId });
    for (const intent of intents) {
      const row: PlannedRow = {
        kind: intent.kind,
        priority: intent.priority,
        payload: JSON.stringify(intent.payload),
        seq,
        taskId,
        at,
        superseded: false,
      };
      if (intent.kind === 'status' && taskId !== null) {
        const older = lastStatus.get(taskId);
        if (older) {
          older.superseded = true;
          row.priority = Math.min(row.priority, older.priority);
        }
        lastStatus.set(taskId, row);
      }
      rows.push(row);
    }
  }
  return { from, last, rows };
}

/** Writes a planned batch's rows on every channel and moves the cursor past it. */
function writeBatch(core: LedgerCore, plan: BatchPlan): void {
  // The cursor moves in the same transaction as the rows it covers.
  core.sql(SET_QUEUED_SQL).run(String(plan.last));
  // Read again per batch: the orchestrator that set them may be another process.
  const channels = core.channels(true);
  // The batch's pending status rows supersede their tasks' older ones: one statement per channel.
  const statusTasks = plan.rows.flatMap((r) =>
    r.kind === 'status' && !r.superseded && r.taskId !== null ? [r.taskId] : [],
  );
  const olderPriority = new Map(
    channels.map((channel) => [channel, supersedeStatuses(core, channel, statusTasks)] as const),
  );
  for (const r of plan.rows) {
    for (const channel of channels) {
      if (r.superseded) {
        core.sql(INSERT_SUPERSEDED_SQL).run(channel, r.kind, r.seq, r.taskId, r.priority, r.payload, r.at);
        continue;
      }
      const older =
        r.kind === 'status' && r.taskId !== null ? olderPriority.get(channel)?.get(r.taskId) : undefined;
      const priority = older === undefined ? r.priority : Math.min(r.priority, older);
      core.sql(INSERT_OUTBOX_SQL).run(channel, r.kind, r.seq, r.taskId, priority, r.payload, r.at);
    }
  }
}

/**
 * Supersedes the pending status rows of these tasks on the channel; returns the most urgent priority
 * each task had among them (its new row takes it over).
 */
function supersedeStatuses(core: LedgerCore, channel: string, taskIds: string[]): Map<string, number> {
  const older = new Map<string, number>();
  if (taskIds.length === 0) return older;
  const rows = core.rawSql(SUPERSEDE_STATUSES_SQL).all(channel, JSON.stringify(taskIds)) as [
    string,
    number,
  ][];
  for (const [taskId, priority] of rows) older.set(taskId, Math.min(priority, older.get(taskId) ?? priority));
  return older;
}

/**
 * Queues the rows of up to `limit` events past the cursor, in the caller's write transaction, and
 * moves the cursor past them. Returns how many events it covered (mirrored or not).
 */
export function queueEventsInWrite(core: LedgerCore, limit: number = QUEUE_BATCH): number {
  const plan = planBatch(core, limit);
  if (!plan) return 0;
  writeBatch(core, plan);
  return plan.last - plan.from;
}

/**
 * Queues every event's rows that are not queued yet, a batch per transaction (other writers get the
 * lock between batches). Each batch is read and planned before the write lock is taken, and written
 * only if the cursor has not moved meanwhile (another process queued it first: plan again). Cheap
 * when there is nothing to do: one read.
 */
export function queuePendingEvents(core: LedgerCore): number {
  return queueBatches(core, 'wait').queued;
}

/**
 * `queuePendingEvents`, but batch by batch only while no other process holds the write lock: at the
 * first batch that would have to wait, it stops (`complete` false). The rows are bookkeeping for the
 * mirror, and agents at work should not queue behind them; see `OutboxStore.queueForPosting`.
 */
export function queuePendingEventsIfFree(core: LedgerCore): { queued: number; complete: boolean } {
  return queueBatches(core, 'if-free');
}

function queueBatches(core: LedgerCore, lock: 'wait' | 'if-free'): { queued: number; complete: boolean } {
  let queued = 0;
  for (;;) {
    const plan = planBatch(core, QUEUE_BATCH);
    if (!plan) return { queued, complete: true };
    const write = (): boolean => {
      if (queuedThrough(core) !== plan.from) return false;
      writeBatch(core, plan);
      return true;
    };
    // Derived rows: a batch lost to a power cut is queued again from its events (see writeDerived).
    let written: boolean;
    if (lock === 'wait') written = core.writeDerived(write);
    else {
      const attempt = core.writeDerivedIfFree(write);
      if (!attempt.done) return { queued, complete: false };
      written = attempt.value;
    }
    if (written) queued += plan.last - plan.from;
  }
}

/**
 * Queues one message that no event plans (a reply to a person, a digest, a refresh). The events
 * before it are queued first, in the same transaction, so rows keep the order things happened in.
 * A status row supersedes the task's pending status row.
 */
export function addOutboxRow(
  core: LedgerCore,
  channel: string,
  kind: string,
  priority: number,
  payload: object,
  refs: OutboxRefs = {},
): number {
  return withEventsQueued(core, () =>
    insertRow(
      core,
      channel,
      kind,
      priority,
      JSON.stringify(payload),
      refs.eventSeq ?? null,
      refs.taskId ?? null,
      core.now(),
    ),
  );
}

/**
 * Runs `fn` in a write transaction in which every event so far has its rows. A backlog is queued
 * first in committed batches (when the caller is not already in a transaction, and unless
 * `rolledBack` says the transaction will be rolled back: a dry run changes nothing), so the one
 * transaction with `fn` only has to queue what arrived meanwhile.
 */
export function withEventsQueued<T>(core: LedgerCore, fn: () => T, rolledBack = false): T {
  if (!core.inWrite && !rolledBack) queuePendingEvents(core);
  return core.write(() => {
    while (queueEventsInWrite(core) > 0);
    return fn();
  });
}

/** An event's data; damaged data plans as none (the audit's chain check reports the damage). */
function eventData(json: string): EventData {
  return eventDataOf(json) ?? {};
}

function insertRow(
  core: LedgerCore,
  channel: string,
  kind: string,
  priority: number,
  payloadJson: string,
  eventSeq: number | null,
  taskId: string | null,
  at: number,
): number {
  // One pending status row per task is enough: it renders the live state when sent.
  const older =
    kind === 'status' && taskId ? supersedeStatuses(core, channel, [taskId]).get(taskId) : undefined;
  const effective = older === undefined ? priority : Math.min(priority, older);
  const info = core.sql(INSERT_OUTBOX_SQL).run(channel, kind, eventSeq, taskId, effective, payloadJson, at);
  return Number(info.lastInsertRowid);
}
