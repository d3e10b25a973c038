/**
 * Everything the swarm posts to Discord, over REST: messages (as the orchestrator's bot or an
 * agent's own bot), in-place edits of task messages, a thread per task started on first use, and
 * archiving it. Every create carries a nonce with enforce_nonce and disables mentions; every call
 * goes through the pacing limiter and comes back as a ChatError on failure.
 */
import { Routes, type REST, type RawFile } from 'discord.js';
import type {
  CursorStore,
  MessageEdit,
  OutgoingMessage,
  SentMessage,
  TaskAnchor,
} from '../../src/chat/chat-port.ts';
import { ChatError } from '../../src/core/errors.ts';
import { truncateText } from '../../src/chat/split-text.ts';
import { toDiscordComponents } from './discord-components.ts';
import type { DiscordLimiter } from './discord-limiter.ts';
import {
  DISCORD_MAX_CONTENT,
  renderDiscordContent,
  splitDiscordContent,
  type RenderInput,
} from './discord-render.ts';
import { toChatError } from './to-chat-error.ts';

/** A bot account that can post: the orchestrator's, or an agent's own. */
export interface PostingBot {
  key: string;
  rest: REST;
}

export const DISCORD_MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024;
/** Longer plain text goes out as a file with a preview, instead of a run of messages. */
export const ATTACH_OVER_CHARS = 2_000;
const PREVIEW_CHARS = 1_500;
const THREAD_NAME_MAX = 100;

interface ApiMessage {
  id: string;
}

export class DiscordOutbound {
  private readonly threads = new Set<string>();

  constructor(
    private readonly channelId: string,
    private readonly deps: {
      orchestrator: PostingBot;
      /** The bot for an agent with its own token, or undefined to speak through the orchestrator. */
      agentBot: (speaker: string) => PostingBot | undefined;
      limiter: DiscordLimiter;
      cursors: CursorStore;
      secrets: readonly string[];
      /** Told about each thread the swarm starts, so incoming messages in it are recognised. */
      onThread: (threadId: string) => void;
    },
  ) {}

  async send(message: OutgoingMessage): Promise<SentMessage> {
    const own = message.speaker !== undefined ? this.deps.agentBot(message.speaker) : undefined;
    const bot = own ?? this.deps.orchestrator;
    const containerId = message.under ? await this.ensureThread(message.under) : this.channelId;
    const files: RawFile[] = [];
    let text = message.text;
    if (text.length > ATTACH_OVER_CHARS) {
      files.push({ name: 'message.txt', data: Buffer.from(text, 'utf8'), contentType: 'text/plain' });
      text = `${truncateText(text, PREVIEW_CHARS)}\n(full text attached as message.txt)`;
    }
    if (message.attachment) {
      if (message.attachment.content.length > DISCORD_MAX_ATTACHMENT_BYTES) {
        throw new ChatError(`attachment ${message.attachment.fileName} is larger than Discord's 10 MiB`, {
          permanent: true,
        });
      }
      files.push({ name: message.attachment.fileName, data: message.attachment.content });
    }
    const input: RenderInput = {
      text,
      ...(message.heading !== undefined ? { heading: message.heading } : {}),
      ...(own === undefined && message.speaker !== undefined ? { speaker: message.speaker } : {}),
    };
    const parts = splitDiscordContent(renderDiscordContent(input), input);
    let first: ApiMessage | undefined;
    for (const [i, content] of parts.entries()) {
      const body = {
        content,
        nonce: i === 0 ? message.nonce : partNonce(message.nonce, i),
        enforce_nonce: true,
        allowed_mentions: { parse: [] },
        ...(i === 0 && message.replyToMessageId !== undefined
          ? { message_reference: { message_id: message.replyToMessageId, fail_if_not_exists: false } }
          : {}),
        // Buttons sit on the first part: the message a task anchors on.
        ...(i === 0 && message.actions?.length ? { components: toDiscordComponents(message.actions) } : {}),
      };
      const partFiles = i === 0 ? files : [];
      const sent = await this.call(bot, containerId, 'send message', () =>
        bot.rest.post(Routes.channelMessages(containerId), {
          body,
          ...(partFiles.length > 0 ? { files: partFiles } : {}),
        }),
      );
      first ??= sent as ApiMessage;
    }
    return { messageId: first!.id, ...(containerId !== this.channelId ? { threadId: containerId } : {}) };
  }

  /** Edits a message the orchestrator's bot posted; content that no longer fits is shortened. */
  async edit(target: SentMessage, message: MessageEdit): Promise<void> {
    const containerId = target.threadId ?? this.channelId;
    let text = message.text;
    const label = message.heading === undefined ? {} : { heading: message.heading };
    let content = renderDiscordContent({ ...label, text });
    while (content.length > DISCORD_MAX_CONTENT && text.length > 1) {
      text = truncateText(text, Math.max(1, text.length - (content.length - DISCORD_MAX_CONTENT)));
      content = renderDiscordContent({ ...label, text });
    }
    const bot = this.deps.orchestrator;
    await this.call(bot, containerId, 'edit message', () =>
      bot.rest.patch(Routes.channelMessage(containerId, target.messageId), {
        body: {
          content,
          allowed_mentions: { parse: [] },
          // An edit shows exactly the buttons it names (none removes them), as on Telegram.
          components: toDiscordComponents(message.actions ?? []),
        },
      }),
    );
  }

  /** Archives the task's thread, if it ever got one. */
  async closeDetails(anchor: TaskAnchor): Promise<void> {
    const threadId = anchor.messageId;
    if (!this.threads.has(threadId) && this.deps.cursors.get(threadKey(threadId)) === undefined) return;
    const bot = this.deps.orchestrator;
    try {
      await this.call(bot, threadId, 'archive thread', () =>
        bot.rest.patch(Routes.channel(threadId), { body: { archived: true } }),
      );
    } catch (err) {
      // A thread deleted by a moderator is as closed as it gets.
      if (err instanceof ChatError && err.platformCode === 10003) return;
      throw err;
    }
  }

  /** The task's thread id (= its main message id), starting the thread on first use. */
  private async ensureThread(anchor: TaskAnchor): Promise<string> {
    const threadId = anchor.messageId;
    if (this.threads.has(threadId) || this.deps.cursors.get(threadKey(threadId)) !== undefined) {
      this.threads.add(threadId);
      return threadId;
    }
    const name = truncateText(`${anchor.taskId} · ${anchor.title}`.replace(/\s+/g, ' '), THREAD_NAME_MAX);
    const bot = this.deps.orchestrator;
    try {
      await this.call(bot, this.channelId, 'start thread', () =>
        bot.rest.post(Routes.threads(this.channelId, threadId), {
          body: { name, auto_archive_duration: 10_080 },
        }),
      );
    } catch (err) {
      // 160004: the thread exists already (started by an earlier run that did not record it).
      if (!(err instanceof ChatError && err.platformCode === 160004)) throw err;
    }
    this.threads.add(threadId);
    this.deps.cursors.set(threadKey(threadId), threadId);
    this.deps.onThread(threadId);
    return threadId;
  }

  private async call<T>(
    bot: PostingBot,
    containerId: string,
    action: string,
    fn: () => Promise<T>,
  ): Promise<T> {
    try {
      return await this.deps.limiter.schedule(bot.key, containerId, fn);
    } catch (err) {
      throw toChatError(err, action, this.deps.secrets);
    }
  }
}

/** The nonce of the i-th continuation part: stable across retries, still at most 25 characters. */
export function partNonce(nonce: string, index: number): string {
  const suffix = `+${index + 1}`;
  return `${nonce.slice(0, 25 - suffix.length)}${suffix}`;
}

function threadKey(threadId: string): string {
  return `discord:thread:${threadId}`;
}
