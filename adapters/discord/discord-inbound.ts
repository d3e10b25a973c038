/**
 * Incoming messages for one Discord channel and its task threads: live gateway messages and
 * catch-up from history after a start, a resume or a reconnect, delivered one at a time, in order,
 * each once per process. The last message seen per channel and thread is kept in the cursor store
 * so a restart resumes where the previous run stopped.
 */
import type { CursorStore, MessageHandler } from '../../src/chat/chat-port.ts';
import type { Logger } from '../../src/core/logger.ts';
import { describeError } from '../../src/core/errors.ts';
import {
  isFromListenedAuthor,
  toIncomingMessage,
  type ListenRules,
  type RawDiscordMessage,
} from './to-incoming-message.ts';

/** What the inbound side needs from Discord, so it can be driven without a client. */
export interface InboundSource {
  /** Up to 100 messages after `afterId`, in any order. */
  historyAfter(containerId: string, afterId: string): Promise<RawDiscordMessage[]>;
  /** The newest message id of a channel, if it has any. */
  newestMessageId(containerId: string): Promise<string | undefined>;
  /** Ids of the active threads whose parent is the swarm's channel. */
  activeThreadIds(): Promise<string[]>;
  /** The parent channel id of a channel we have not seen before (undefined if not a thread). */
  parentOf(containerId: string): Promise<string | undefined>;
  /** Role ids of a guild member, for messages read from history (which carry no member). */
  roleIdsOf(userId: string): Promise<string[] | undefined>;
}

const DISCORD_EPOCH_MS = 1_420_070_400_000n;
const FIRST_RUN_LOOKBACK_MS = 60_000;
/** How many delivered ids to remember against redelivery within one process. */
const REMEMBERED_IDS = 5_000;
/** The cursor store key of the swarm's thread ids, for catch-up when Discord cannot list them. */
const THREADS_KEY = 'discord:threads';
/** Newest thread ids kept there; archived ones drop out each time Discord lists the active ones. */
const MAX_REMEMBERED_THREADS = 500;

/** A snowflake for a moment in time: every message created after it has a larger id. */
export function snowflakeAt(ms: number): string {
  return ((BigInt(ms) - DISCORD_EPOCH_MS) << 22n).toString();
}

function newer(a: string, b: string | undefined): boolean {
  return b === undefined || BigInt(a) > BigInt(b);
}

export class DiscordInbound {
  private readonly threadParents = new Map<string, string | null>();
  private readonly delivered = new Set<string>();
  private queue: Promise<void> = Promise.resolve();
  /** False from a disconnect until the catch-up after the reconnect: live ids may have gaps then. */
  private synced = false;
  private stopped = false;

  constructor(
    private readonly channelId: string,
    private readonly source: InboundSource,
    private readonly deps: { cursors: CursorStore; log: Logger; rules: () => ListenRules; now: () => number },
    private readonly onMessage: MessageHandler,
  ) {}

  /** Records a thread of the swarm's channel (created by us, or announced by the gateway). */
  noteThread(threadId: string, parentId: string | null): void {
    const known = this.threadParents.get(threadId) === this.channelId;
    this.threadParents.set(threadId, parentId);
    if (parentId === this.channelId && !known) this.rememberThreads([...this.knownThreads(), threadId]);
  }

  /** Called on a gateway disconnect: until the next catch-up, live messages do not move cursors. */
  markDisconnected(): void {
    this.synced = false;
  }

  stop(): void {
    this.stopped = true;
  }

  /** A MESSAGE_CREATE from the gateway. */
  live(raw: RawDiscordMessage): Promise<void> {
    return this.enqueue(async () => {
      const where = await this.locate(raw.channel_id);
      if (where === undefined) return;
      await this.deliver(raw, where);
      if (this.synced) this.advance(raw.channel_id, raw.id);
    });
  }

  /**
   * A MESSAGE_UPDATE from the gateway: delivered (as `edited`) only for listened-to bots, whose
   * status messages are edited as heartbeats. People's edits change nothing. Partial updates
   * (without author or content) are skipped.
   */
  liveEdit(raw: Partial<RawDiscordMessage> & { id: string; channel_id: string }): Promise<void> {
    return this.enqueue(async () => {
      if (this.stopped || raw.author?.bot !== true || typeof raw.content !== 'string') return;
      const full = raw as RawDiscordMessage;
      if (!isFromListenedAuthor(full, this.deps.rules())) return;
      const where = await this.locate(raw.channel_id);
      if (where === undefined) return;
      const message = toIncomingMessage(full, {
        channelId: this.channelId,
        ...(where.threadId !== undefined ? { threadId: where.threadId } : {}),
      });
      try {
        await this.onMessage({ ...message, edited: true });
      } catch (err) {
        this.deps.log.error('discord: message handler failed', {
          messageId: raw.id,
          error: describeError(err),
        });
      }
    });
  }

  /**
   * Reads history after each cursor (channel and active task threads) and delivers what was missed.
   * When Discord will not list the active threads, the threads this swarm has recorded stand in.
   */
  catchUp(): Promise<void> {
    return this.enqueue(async () => {
      let threads: string[];
      try {
        threads = await this.source.activeThreadIds();
        this.rememberThreads(threads);
      } catch (err) {
        threads = this.knownThreads();
        this.deps.log.warn(
          'discord: could not list the active threads; catching up on the threads the swarm recorded',
          { error: describeError(err), threads: threads.length },
        );
      }
      for (const id of threads) this.noteThread(id, this.channelId);
      await this.catchUpContainer(this.channelId, undefined);
      for (const id of threads) await this.catchUpContainer(id, id);
      this.synced = true;
    });
  }

  /** The swarm's threads as last recorded (listed by Discord, started by us, or announced). */
  private knownThreads(): string[] {
    const raw = this.deps.cursors.get(THREADS_KEY);
    if (raw === undefined) return [];
    try {
      const ids: unknown = JSON.parse(raw);
      return Array.isArray(ids)
        ? ids.filter((id): id is string => typeof id === 'string' && /^\d+$/.test(id))
        : [];
    } catch {
      return [];
    }
  }

  private rememberThreads(ids: string[]): void {
    const unique = [...new Set(ids)].slice(-MAX_REMEMBERED_THREADS);
    const value = JSON.stringify(unique);
    if (this.deps.cursors.get(THREADS_KEY) !== value) this.deps.cursors.set(THREADS_KEY, value);
  }

  private async catchUpContainer(containerId: string, threadId: string | undefined): Promise<void> {
    let after = this.deps.cursors.get(cursorKey(containerId));
    if (after === undefined) {
      if (threadId !== undefined) {
        // Every message in a thread is newer than the message it was started on (same id).
        after = threadId;
      } else {
        // First run on this channel: start from now rather than replaying the channel's past. An
        // empty channel starts a minute back, so clock skew cannot hide a message posted meanwhile.
        after =
          (await this.source.newestMessageId(containerId)) ??
          snowflakeAt(this.deps.now() - FIRST_RUN_LOOKBACK_MS);
        this.deps.cursors.set(cursorKey(containerId), after);
        return;
      }
    }
    for (let page = 0; page < 50 && !this.stopped; page++) {
      const batch = (await this.source.historyAfter(containerId, after)).sort((a, b) =>
        newer(a.id, b.id) ? 1 : -1,
      );
      for (const raw of batch) {
        await this.deliver(raw, { threadId });
        after = raw.id;
        this.deps.cursors.set(cursorKey(containerId), after);
      }
      if (batch.length < 100) return;
    }
  }

  private async deliver(raw: RawDiscordMessage, where: { threadId: string | undefined }): Promise<void> {
    if (this.stopped || this.delivered.has(raw.id)) return;
    if (!isFromListenedAuthor(raw, this.deps.rules())) return;
    this.remember(raw.id);
    const roles = raw.member?.roles === undefined ? await this.source.roleIdsOf(raw.author.id) : undefined;
    const message = toIncomingMessage(raw, {
      channelId: this.channelId,
      ...(where.threadId !== undefined ? { threadId: where.threadId } : {}),
      ...(roles !== undefined ? { roleIds: roles } : {}),
    });
    try {
      await this.onMessage(message);
    } catch (err) {
      // A failing handler is reported and the next message still comes (the core dedupes anyway).
      this.deps.log.error('discord: message handler failed', {
        messageId: raw.id,
        error: describeError(err),
      });
    }
  }

  /** Where a live message belongs: the channel, one of its threads, or elsewhere (undefined). */
  private async locate(containerId: string): Promise<{ threadId: string | undefined } | undefined> {
    if (containerId === this.channelId) return { threadId: undefined };
    let parent = this.threadParents.get(containerId);
    if (parent === undefined) {
      parent = (await this.source.parentOf(containerId).catch(() => undefined)) ?? null;
      this.threadParents.set(containerId, parent);
    }
    return parent === this.channelId ? { threadId: containerId } : undefined;
  }

  private advance(containerId: string, id: string): void {
    const key = cursorKey(containerId);
    if (newer(id, this.deps.cursors.get(key))) this.deps.cursors.set(key, id);
  }

  private remember(id: string): void {
    this.delivered.add(id);
    if (this.delivered.size > REMEMBERED_IDS) {
      const oldest = this.delivered.values().next().value;
      if (oldest !== undefined) this.delivered.delete(oldest);
    }
  }

  private enqueue(job: () => Promise<void>): Promise<void> {
    const run = this.queue.then(job);
    this.queue = run.catch((err: unknown) => {
      this.deps.log.warn('discord: inbound step failed', { error: describeError(err) });
    });
    return run;
  }
}

/** The cursor store key for the last message seen in a channel or thread. */
export function cursorKey(containerId: string): string {
  return `discord:last:${containerId}`;
}
