import { LedgerError } from '../core/errors.ts';
import { adoptChatDestination, postedInChatSince, type DestinationSource } from './chat-destination.ts';
import type { LedgerCore } from './ledger-core.ts';
import {
  addOutboxRow,
  queuePendingEvents,
  queuePendingEventsIfFree,
  type OutboxRefs,
} from './outbox-queue.ts';
import {
  OUTBOX_KINDS,
  outboxPayloadSchema,
  type OutboxKind,
  type OutboxPayload,
  type OutboxRow,
} from './outbox-payload.ts';

interface RawOutboxRow {
  id: number;
  channel: string;
  kind: string;
  event_seq: number | null;
  task_id: string | null;
  priority: number;
  payload: string;
  attempts: number;
  created_at: number;
}

function toOutboxRow(raw: RawOutboxRow): OutboxRow {
  if (!(OUTBOX_KINDS as readonly string[]).includes(raw.kind)) {
    throw new LedgerError('ledger_corrupt', `outbox row ${raw.id}: unknown kind '${raw.kind}'`);
  }
  const payload = outboxPayloadSchema.safeParse(JSON.parse(raw.payload));
  if (!payload.success)
    throw new LedgerError('ledger_corrupt', `outbox row ${raw.id}: bad payload`, { cause: payload.error });
  return {
    id: raw.id,
    channel: raw.channel,
    kind: raw.kind as OutboxKind,
    eventSeq: raw.event_seq,
    taskId: raw.task_id,
    priority: raw.priority,
    payload: payload.data,
    attempts: raw.attempts,
    createdAt: raw.created_at,
  };
}

export interface TaskMessage {
  messageId: string;
  threadId: string | null;
  closed: boolean;
}

/**
 * Longest the poster's queue is let lag behind the event log while other processes keep the write
 * lock busy, before `queueForPosting` waits its turn for the lock to catch up.
 */
export const MAX_QUEUE_LAG_MS = 1_000;

/** The poster's view of the outbox: what to send next and where sent things went. */
export class OutboxStore {
  /** Since when `queueForPosting` has left events unqueued because the lock was taken. */
  private behindSince: number | undefined;

  constructor(private readonly core: LedgerCore) {}

  /**
   * Queues the rows of events committed since the last call (a write, only when there are some),
   * waiting for the write lock as long as it takes. `pendingCount` calls it first, so the count is
   * complete.
   */
  queueEvents(): number {
    return queuePendingEvents(this.core);
  }

  /**
   * What `due` queues before it picks rows: batches while the write lock is free, leaving the rest
   * for the next call when another process holds it, so that agents at work never wait for the
   * mirror's bookkeeping (under a busy swarm the agents hold the lock nearly all the time, and every
   * wait costs them more than the batch itself). Once it has been behind for `MAX_QUEUE_LAG_MS`, it
   * waits its turn and catches up: the chat lags a busy swarm by about that much at most.
   */
  queueForPosting(): number {
    const now = this.core.now();
    if (this.behindSince !== undefined) {
      const behindFor = now - this.behindSince;
      // A clock that stepped back counts as overdue: the lag must stay bounded.
      if (behindFor >= MAX_QUEUE_LAG_MS || behindFor < 0) {
        const queued = this.queueEvents();
        this.behindSince = undefined;
        return queued;
      }
    }
    const { queued, complete } = queuePendingEventsIfFree(this.core);
    if (complete) this.behindSince = undefined;
    else this.behindSince ??= now;
    return queued;
  }

  /** Queues a message no event plans (a reply, a refresh); see `addOutboxRow`. */
  add(channel: string, kind: string, priority: number, payload: object, refs: OutboxRefs = {}): number {
    return addOutboxRow(this.core, channel, kind, priority, payload, refs);
  }

  /**
   * Pending rows due now, most urgent first, then oldest; among the events queued so far (see
   * `queueForPosting`: under a busy swarm the newest may not be yet).
   */
  due(channel: string, limit: number): OutboxRow[] {
    this.queueForPosting();
    const rows = this.core
      .sql(
        `SELECT id, channel, kind, event_seq, task_id, priority, payload, attempts, created_at FROM outbox
         WHERE channel = ? AND status = 'pending' AND next_try_at <= ? ORDER BY priority, id LIMIT ?`,
      )
      .all(channel, this.core.now(), limit) as RawOutboxRow[];
    return rows.map(toOutboxRow);
  }

  /** All pending rows, due or not. */
  pendingCount(channel: string): number {
    this.queueEvents();
    return (
      this.core
        .sql("SELECT COUNT(*) AS n FROM outbox WHERE channel = ? AND status = 'pending'")
        .get(channel) as { n: number }
    ).n;
  }

  /** The pending status row of a task, if any, so it can go before a detail that needs its message. */
  pendingStatusRow(channel: string, taskId: string): OutboxRow | undefined {
    const raw = this.core
      .sql(
        `SELECT id, channel, kind, event_seq, task_id, priority, payload, attempts, created_at FROM outbox
         WHERE channel = ? AND task_id = ? AND kind = 'status' AND status = 'pending' ORDER BY id DESC LIMIT 1`,
      )
      .get(channel, taskId) as RawOutboxRow | undefined;
    return raw ? toOutboxRow(raw) : undefined;
  }

  /** A task's oldest pending detail row, so its details go out in the order they happened. */
  firstPendingDetail(channel: string, taskId: string): OutboxRow | undefined {
    const raw = this.core
      .sql(
        `SELECT id, channel, kind, event_seq, task_id, priority, payload, attempts, created_at FROM outbox
         WHERE channel = ? AND task_id = ? AND kind = 'detail' AND status = 'pending' ORDER BY id LIMIT 1`,
      )
      .get(channel, taskId) as RawOutboxRow | undefined;
    return raw ? toOutboxRow(raw) : undefined;
  }

  /** Tasks whose closing detail (result, cancel, …) went out inside digest `digestId`. */
  closingTasksMergedInto(digestId: number): string[] {
    const rows = this.core
      .sql(
        `SELECT DISTINCT task_id FROM outbox WHERE merged_into = ? AND task_id IS NOT NULL
         AND json_extract(payload, '$.closesDetails') = 1`,
      )
      .all(digestId) as { task_id: string }[];
    return rows.map((r) => r.task_id);
  }

  markSent(id: number, messageId: string, threadId?: string): void {
    this.core
      .sql(
        "UPDATE outbox SET status = 'sent', platform_message_id = ?, thread_id = ?, sent_at = ?, attempts = attempts + 1 WHERE id = ?",
      )
      .run(messageId, threadId ?? null, this.core.now(), id);
  }

  /** A permanent failure: kept with its reason, never retried. */
  markFailed(id: number, error: string): void {
    this.core
      .sql("UPDATE outbox SET status = 'failed', last_error = ?, attempts = attempts + 1 WHERE id = ?")
      .run(error, id);
  }

  /** A transient failure: tried again at `nextTryAt`. */
  reschedule(id: number, nextTryAt: number, error: string): void {
    this.core
      .sql('UPDATE outbox SET next_try_at = ?, last_error = ?, attempts = attempts + 1 WHERE id = ?')
      .run(nextTryAt, error, id);
  }

  /** Replaces several pending rows by one digest row; the merged rows point at it. */
  mergeIntoDigest(channel: string, ids: number[], payload: OutboxPayload, priority: number): number {
    return this.core.write(() => {
      const digestId = this.add(channel, 'digest', priority, payload);
      const stmt = this.core.sql(
        "UPDATE outbox SET status = 'merged', merged_into = ? WHERE id = ? AND status = 'pending'",
      );
      for (const id of ids) stmt.run(digestId, id);
      return digestId;
    });
  }

  /** See `adoptChatDestination`: the chat `channel` posts to before, when it was another one. */
  adoptDestination(channel: string, destination: string, source: DestinationSource): string | undefined {
    return adoptChatDestination(this.core, channel, destination, source);
  }

  taskMessage(taskId: string, channel: string): TaskMessage | undefined {
    const row = this.core
      .sql('SELECT message_id, thread_id, closed FROM task_messages WHERE task_id = ? AND channel = ?')
      .get(taskId, channel) as { message_id: string; thread_id: string | null; closed: number } | undefined;
    return row ? { messageId: row.message_id, threadId: row.thread_id, closed: row.closed === 1 } : undefined;
  }

  setTaskMessage(taskId: string, channel: string, messageId: string): void {
    this.core
      .sql(
        'INSERT INTO task_messages (task_id, channel, message_id) VALUES (?,?,?) ON CONFLICT DO UPDATE SET message_id = excluded.message_id',
      )
      .run(taskId, channel, messageId);
  }

  setTaskThread(taskId: string, channel: string, threadId: string): void {
    this.core
      .sql('UPDATE task_messages SET thread_id = ? WHERE task_id = ? AND channel = ?')
      .run(threadId, taskId, channel);
  }

  setDetailsClosed(taskId: string, channel: string, closed: boolean): void {
    this.core
      .sql('UPDATE task_messages SET closed = ? WHERE task_id = ? AND channel = ?')
      .run(closed ? 1 : 0, taskId, channel);
  }

  /**
   * True when the swarm posted this platform message in `channel` (digests and replies to people
   * included). Scoped by channel: Telegram numbers messages per chat, so the same id names a
   * different message in every other channel the swarm mirrors to.
   */
  postedBySwarm(channel: string, messageId: string): boolean {
    return (
      this.core
        .sql(
          'SELECT 1 FROM outbox WHERE platform_message_id = ? AND channel = ? AND coalesce(sent_at, 0) >= ? LIMIT 1',
        )
        .get(messageId, channel, postedInChatSince(this.core, channel)) !== undefined
    );
  }

  /**
   * Whether a prompt for text (a button's reply prompt) is still waiting to be posted in `channel`:
   * a reply to it can reach us before its message id is recorded, and must wait rather than be taken
   * as chat.
   */
  hasUnpostedPrompt(channel: string): boolean {
    return (
      this.core
        .sql(
          `SELECT 1 FROM outbox WHERE channel = ? AND status = 'pending' AND kind = 'reply' AND payload LIKE '%"prompt":%' LIMIT 1`,
        )
        .get(channel) !== undefined
    );
  }

  /**
   * Which task a platform message the swarm posted in `channel` belongs to (for replies that answer
   * questions). A message with the same id in another channel is another message.
   */
  taskOfMessage(channel: string, messageId: string): string | undefined {
    const row = this.core
      .sql(
        'SELECT task_id FROM outbox WHERE platform_message_id = ? AND channel = ? AND coalesce(sent_at, 0) >= ? AND task_id IS NOT NULL LIMIT 1',
      )
      .get(messageId, channel, postedInChatSince(this.core, channel)) as { task_id: string } | undefined;
    return row?.task_id ?? this.taskOfAnchor(channel, messageId);
  }

  /**
   * The task whose details area a thread in `channel` is: the task whose main message has that id
   * (a Discord thread's id is its starter message's), or the one task whose details went into it. A
   * thread that holds several tasks' details (the one Telegram forum topic a swarm posts into) is no
   * task's.
   */
  taskOfThread(channel: string, threadId: string): string | undefined {
    // The main message's own outbox row first: found on the message-id index, no scan.
    const row = this.core
      .sql(
        "SELECT task_id FROM outbox WHERE platform_message_id = ? AND channel = ? AND coalesce(sent_at, 0) >= ? AND kind = 'status' LIMIT 1",
      )
      .get(threadId, channel, postedInChatSince(this.core, channel)) as
      { task_id: string | null } | undefined;
    return row?.task_id ?? this.taskOfAnchor(channel, threadId);
  }

  /**
   * The task a main message or a one-task thread belongs to, from the task messages (on their
   * message and thread indexes), the main message ahead of any thread.
   */
  private taskOfAnchor(channel: string, id: string): string | undefined {
    const rows = this.core
      .sql(
        // Two lookups, one per index (an OR here would scan the channel's rows).
        `SELECT task_id, 1 AS main FROM task_messages WHERE channel = ? AND message_id = ?
         UNION ALL
         SELECT task_id, 0 AS main FROM task_messages WHERE channel = ? AND thread_id = ?
         ORDER BY main DESC LIMIT 2`,
      )
      .all(channel, id, channel, id) as { task_id: string; main: number }[];
    const [first] = rows;
    return first && (first.main === 1 || rows.length === 1) ? first.task_id : undefined;
  }
}
