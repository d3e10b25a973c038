import { z } from 'zod';
import type { CheckpointBoard, SentMessage } from '../chat/chat-port.ts';
import { describeError } from '../core/errors.ts';
import type { Logger } from '../core/logger.ts';
import { systemClock, type Clock } from '../core/types.ts';
import {
  checkpointMismatch,
  formatCheckpoint,
  newestCheckpoint,
  type Checkpoint,
} from '../ledger/audit-checkpoint.ts';
import { CHECKPOINT_MESSAGE_KEY } from '../ledger/chat-destination.ts';
import type { Ledger } from '../ledger/ledger.ts';

export interface CheckpointKeeperOptions {
  ledger: Ledger;
  board: CheckpointBoard;
  log: Logger;
  /** How often the checkpoint is brought up to the ledger's newest event. */
  intervalMs: number;
  /** The last publish at shutdown gives up after this long, so a dead platform cannot hold up stop. */
  finalTimeoutMs?: number;
  clock?: Clock;
}

const sentMessage = z.object({ messageId: z.string().min(1), threadId: z.string().min(1).optional() });

/**
 * Keeps the ledger's chain head (event number and hash) in the channel's pinned checkpoint message:
 * at start, every `intervalMs` when the ledger has moved on, and once more at shutdown. Before it
 * overwrites anything it checks that the ledger still holds the checkpoint already in the channel;
 * when it does not (newest events deleted, older ones rewritten) it leaves the evidence in place,
 * logs why, and publishes nothing more. A failed read or publish is logged and retried next time.
 */
export class CheckpointKeeper {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> = Promise.resolve();
  /** The channel's checkpoint, once read: what this keeper vouches the ledger still holds. */
  private anchored: Checkpoint | null | undefined;
  private refused = false;
  private readonly clock: Clock;

  constructor(private readonly options: CheckpointKeeperOptions) {
    this.clock = options.clock ?? systemClock;
  }

  /** Publishes now, then every `intervalMs`. */
  start(): void {
    if (this.timer) return;
    void this.kick();
    this.timer = setInterval(() => void this.kick(), this.options.intervalMs);
    this.timer.unref();
  }

  /** Stops the timer and publishes the final head, waiting at most `finalTimeoutMs`. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    void this.kick();
    const limitMs = this.options.finalTimeoutMs ?? 5_000;
    let timeout: NodeJS.Timeout | undefined;
    const gaveUp = new Promise<'late'>((resolve) => {
      timeout = setTimeout(() => resolve('late'), limitMs);
    });
    const outcome = await Promise.race([this.running.then(() => 'done' as const), gaveUp]);
    clearTimeout(timeout);
    if (outcome === 'late')
      this.options.log.warn('checkpoint: the final checkpoint did not go out in time', {
        timeoutMs: limitMs,
      });
  }

  /** One publish after any in progress; never rejects. */
  kick(): Promise<void> {
    this.running = this.running.then(() => this.tick());
    return this.running;
  }

  private async tick(): Promise<void> {
    const { ledger, board, log } = this.options;
    if (this.refused) return;
    try {
      if (this.anchored === undefined) {
        this.anchored = newestCheckpoint(await board.read()) ?? null;
        // No checkpoint of ours is pinned (first run, or it was unpinned): start a new message.
        if (this.anchored === null) this.forgetMessage();
      }
      if (this.anchored !== null) {
        const mismatch = checkpointMismatch(ledger.db, this.anchored);
        if (mismatch) {
          this.refused = true;
          log.error(
            'checkpoint: the ledger does not match the checkpoint in the channel; leaving it in place. Run chat-swarm audit --channel',
            { problem: mismatch },
          );
          return;
        }
      }
      const head = ledger.core.sql('SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1').get() as
        { seq: number; hash: string } | undefined;
      if (!head) return;
      if (this.anchored && this.anchored.seq === head.seq && this.anchored.hash === head.hash) return;
      const at = this.clock.now();
      const text = formatCheckpoint({ seq: head.seq, hash: head.hash, at });
      const sent = await board.publish(text, this.rememberedMessage());
      this.anchored = { seq: head.seq, hash: head.hash, at };
      this.rememberMessage(sent);
      log.debug('checkpoint published', { seq: head.seq });
    } catch (err) {
      log.warn('checkpoint: could not update the checkpoint; retrying later', { error: describeError(err) });
    }
  }

  private rememberedMessage(): SentMessage | undefined {
    const raw = this.options.ledger.getKv(CHECKPOINT_MESSAGE_KEY);
    if (raw === undefined) return undefined;
    try {
      const parsed = sentMessage.safeParse(JSON.parse(raw));
      if (!parsed.success) return undefined;
      const { messageId, threadId } = parsed.data;
      return threadId === undefined ? { messageId } : { messageId, threadId };
    } catch {
      return undefined;
    }
  }

  private rememberMessage(sent: SentMessage): void {
    this.options.ledger.setKv(CHECKPOINT_MESSAGE_KEY, JSON.stringify(sent));
  }

  private forgetMessage(): void {
    this.options.ledger.core.sql('DELETE FROM kv WHERE key = ?').run(CHECKPOINT_MESSAGE_KEY);
  }
}
