import Bottleneck from 'bottleneck';
import type { ChatPort, SentMessage } from '../chat/chat-port.ts';
import { ChatError, describeError } from '../core/errors.ts';
import type { Logger } from '../core/logger.ts';
import type { Ledger } from '../ledger/ledger.ts';
import type { OutboxRow } from '../ledger/outbox-payload.ts';
import { DestinationWatch } from './destination-watch.ts';
import { buildDigests } from './digest.ts';
import { POSTER_DEFAULTS, type PosterOptions } from './poster-options.ts';
import { RowSender } from './row-sender.ts';

export interface OutboxPosterDeps {
  ledger: Ledger;
  port: ChatPort;
  /** Name of the channel in the config; outbox rows are addressed to it. */
  channel: string;
  log: Logger;
  /** Short random id of this ledger, so nonces from two swarms never collide. */
  swarmId: string;
}

/** How often, and how far apart, recording a posted message is tried when the ledger is busy or full. */
const RECORD_TRIES = 10;
const RECORD_RETRY_MS = 200;
/** kv key of the platform's last 429 as the poster met it: `{ at, retryAfterMs, channel }` (JSON). */
export const LAST_RATE_LIMIT_KEY = 'mirror_last_429';

/**
 * Drains one channel's outbox under a rate limiter: most urgent first, one send at a time, each
 * platform message id recorded against its row. Transient failures pause the channel until the
 * retry time (a 429's retry-after at the least); permanent ones mark the row failed with the reason.
 */
export class OutboxPoster {
  private readonly options: PosterOptions;
  private limiter: Bottleneck;
  private running = false;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  private pausedUntil = 0;
  private readonly unexpectedFailures = new Map<number, number>();
  private readonly destination: DestinationWatch;
  private readonly sender: RowSender;

  constructor(
    private readonly deps: OutboxPosterDeps,
    options: Partial<PosterOptions> = {},
  ) {
    this.options = { ...POSTER_DEFAULTS, ...options };
    this.limiter = this.createLimiter();
    this.destination = new DestinationWatch(deps);
    this.sender = new RowSender(deps, this.destination);
  }

  /** Records the chat the port posts to; see `DestinationWatch`. Also run before every step. */
  followDestination(): void {
    this.destination.follow();
  }

  /** Even spacing keeps any sliding window of `perWindowMs` under `perWindow` sends. */
  private createLimiter(): Bottleneck {
    const spacing = Math.max(
      this.options.minIntervalMs,
      Math.ceil(this.options.perWindowMs / this.options.perWindow),
    );
    return new Bottleneck({ maxConcurrent: 1, minTime: spacing });
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.limiter = this.createLimiter();
    this.loop = this.run();
  }

  /** Stops after the send in flight; what is still pending stays in the outbox for next time. */
  async stop(): Promise<void> {
    this.running = false;
    this.wake?.();
    await this.loop;
    await this.limiter.stop({ dropWaitingJobs: true }).catch(() => undefined);
  }

  /** Wakes the loop at once (after a local write), instead of waiting for the idle poll. */
  kick(): void {
    this.wake?.();
  }

  /** Resolves when nothing is pending for this channel, or after `timeoutMs` with the count left. */
  async drain(timeoutMs: number): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    let left = -1;
    for (;;) {
      try {
        left = this.deps.ledger.outbox.pendingCount(this.deps.channel);
      } catch (err) {
        this.deps.log.warn('could not count pending posts', { reason: describeError(err) });
      }
      // Never counted (the ledger kept failing): say something may be left.
      if (left === 0 || Date.now() >= deadline) return left < 0 ? 1 : left;
      this.kick();
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  private async run(): Promise<void> {
    while (this.running) {
      let worked = false;
      try {
        worked = await this.step();
      } catch (err) {
        this.deps.log.error('poster step failed', { error: describeError(err) });
      }
      if (!worked && this.running) await this.sleep(this.options.idlePollMs);
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
  }

  /** Sends the next due row; returns false when there was nothing to do. */
  private async step(): Promise<boolean> {
    const now = Date.now();
    if (now < this.pausedUntil) {
      await this.sleep(Math.min(this.pausedUntil - now, 1_000));
      return true;
    }
    const { ledger, channel } = this.deps;
    if (ledger.outbox.due(channel, 1).length === 0) return false;
    // The row is picked when the send slot comes, not before: something urgent queued while the
    // limiter waited (an answer to a person, a grant to a remote agent) goes in that slot.
    return this.limiter.schedule(async () => {
      // Right before the rows (and the messages they name) are read: the chat may have changed
      // while the limiter waited.
      this.destination.follow();
      let due = ledger.outbox.due(channel, this.options.digestThreshold * 4);
      if (due.length === 0) return false;
      if (due.length > this.options.digestThreshold) {
        this.mergeBacklog(due);
        due = ledger.outbox.due(channel, 1);
        if (due.length === 0) return false;
      }
      await this.post(this.inTaskOrder(due[0]!));
      return true;
    });
  }

  /**
   * Urgency picks the task, but a task's details keep their event order: otherwise a claim line
   * (normal) lands after the result (urgent) and reopens the thread the result had just closed.
   */
  private inTaskOrder(row: OutboxRow): OutboxRow {
    if (row.kind !== 'detail' || !row.taskId) return row;
    return this.deps.ledger.outbox.firstPendingDetail(this.deps.channel, row.taskId) ?? row;
  }

  /** Under a backlog, replaces many queued messages with a few digest messages. */
  private mergeBacklog(due: OutboxRow[]): void {
    const { ledger, channel, port } = this.deps;
    const view = {
      taskOf: (id: string) => ledger.getTask(id),
      hasMainMessage: (taskId: string) => ledger.outbox.taskMessage(taskId, channel) !== undefined,
      staffing: this.sender.staffing(),
    };
    const digests = buildDigests(due, view, port.limits.maxTextLength);
    for (const d of digests) {
      ledger.outbox.mergeIntoDigest(channel, d.rowIds, { heading: d.heading, text: d.text }, d.priority);
    }
    if (digests.length)
      this.deps.log.info('merged backlog into digests', { channel, digests: digests.length });
  }

  private async post(row: OutboxRow): Promise<void> {
    let sent: SentMessage;
    try {
      sent = await this.sender.send(row);
    } catch (err) {
      this.handleFailure(row, err);
      return;
    }
    this.destination.followAfterSend();
    await this.recordSent(row, sent);
  }

  /**
   * Records a sent message. The message is out, so a failed ledger write (busy, disk full) is tried
   * again for a while rather than treated as a failed post, which would send the message twice.
   */
  private async recordSent(row: OutboxRow, sent: SentMessage): Promise<void> {
    const { ledger } = this.deps;
    for (let tryNo = 1; ; tryNo++) {
      try {
        ledger.outbox.markSent(row.id, sent.messageId, sent.threadId);
        if (row.kind === 'detail' && row.taskId && sent.threadId) {
          ledger.outbox.setTaskThread(row.taskId, this.deps.channel, sent.threadId);
        }
        break;
      } catch (err) {
        if (tryNo >= RECORD_TRIES || !this.running) {
          this.deps.log.error('posted, but could not record it; it may be posted again', {
            row: row.id,
            reason: describeError(err),
          });
          return;
        }
        this.deps.log.warn('could not record a posted message; will retry', {
          row: row.id,
          reason: describeError(err),
        });
        await new Promise((r) => setTimeout(r, RECORD_RETRY_MS * tryNo));
      }
    }
    this.unexpectedFailures.delete(row.id);
    try {
      if (row.payload.closesDetails && row.taskId) await this.closeDetails(row.taskId);
      // A result merged into a digest must still close its task's thread.
      if (row.kind === 'digest') {
        for (const taskId of ledger.outbox.closingTasksMergedInto(row.id)) await this.closeDetails(taskId);
      }
    } catch (err) {
      this.deps.log.warn('could not close task details', { row: row.id, reason: describeError(err) });
    }
  }

  /** Runs a ledger write for a row; a failure is logged and the row stays due (tried again later). */
  private tryWrite(row: OutboxRow, write: () => void): boolean {
    try {
      write();
      return true;
    } catch (err) {
      this.pausedUntil = Date.now() + this.options.idlePollMs;
      this.deps.log.warn('could not update an outbox row; will retry', {
        row: row.id,
        reason: describeError(err),
      });
      return false;
    }
  }

  private handleFailure(row: OutboxRow, err: unknown): void {
    const { ledger, log } = this.deps;
    const reason = describeError(err);
    if (err instanceof ChatError && err.permanent) {
      if (this.tryWrite(row, () => ledger.outbox.markFailed(row.id, reason)))
        log.warn('message could not be posted; marked failed', { row: row.id, reason });
      return;
    }
    if (!(err instanceof ChatError)) {
      const n = (this.unexpectedFailures.get(row.id) ?? 0) + 1;
      this.unexpectedFailures.set(row.id, n);
      if (n >= this.options.maxUnexpectedFailures) {
        if (
          this.tryWrite(row, () =>
            ledger.outbox.markFailed(row.id, `gave up after ${n} unexpected errors: ${reason}`),
          )
        )
          log.error('message failed repeatedly; marked failed', { row: row.id, reason });
        return;
      }
    }
    const backoff = Math.min(this.options.maxRetryDelayMs, 500 * 2 ** Math.min(row.attempts, 10));
    const waitMs = Math.max(err instanceof ChatError ? (err.retryAfterMs ?? 0) : 0, backoff);
    this.pausedUntil = Date.now() + waitMs;
    ledger.outbox.reschedule(row.id, this.pausedUntil, reason);
    if (err instanceof ChatError && err.retryAfterMs !== undefined) this.recordRateLimit(err.retryAfterMs);
    log.warn('posting failed; will retry', { row: row.id, retryInMs: waitMs, reason });
    try {
      ledger.outbox.reschedule(row.id, this.pausedUntil, reason);
    } catch (writeErr) {
      // The pause above still holds in memory; the row stays due and is tried after it.
      log.warn('could not record the retry time', { row: row.id, reason: describeError(writeErr) });
    }
  }

  /** Keeps the platform's last 429 (when, how long it asked to wait) for the board's mirror health. */
  private recordRateLimit(retryAfterMs: number): void {
    try {
      const { ledger, channel } = this.deps;
      ledger.setKv(LAST_RATE_LIMIT_KEY, JSON.stringify({ at: Date.now(), retryAfterMs, channel }));
    } catch (err) {
      this.deps.log.warn('could not record the rate limit', { error: describeError(err) });
    }
  }

  private async closeDetails(taskId: string): Promise<void> {
    const { ledger, channel, port } = this.deps;
    const msg = ledger.outbox.taskMessage(taskId, channel);
    const task = ledger.getTask(taskId);
    if (!msg || !task || !port.closeDetails) return;
    try {
      await port.closeDetails({ messageId: msg.messageId, taskId, title: task.title });
      ledger.outbox.setDetailsClosed(taskId, channel, true);
    } catch (err) {
      this.deps.log.warn('could not close task details', { taskId, reason: describeError(err) });
    }
  }
}
