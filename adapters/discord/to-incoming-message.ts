/**
 * Mapping Discord message JSON (a gateway MESSAGE_CREATE or a REST history item) to the core's
 * IncomingMessage, and deciding which messages the swarm listens to at all.
 */
import type { IncomingMessage } from '../../src/chat/chat-port.ts';
import { unescapeDiscordMarkdown } from './discord-escape.ts';

/** The fields of Discord's message object the adapter reads. */
export interface RawDiscordMessage {
  id: string;
  channel_id: string;
  type?: number;
  content: string;
  timestamp: string;
  author: { id: string; username: string; global_name?: string | null; bot?: boolean };
  member?: { roles?: string[]; nick?: string | null };
  webhook_id?: string;
  message_reference?: { message_id?: string };
  attachments?: Array<{ id: string; filename: string; size: number; url: string }>;
}

/** Default (0) and reply (19) are what people type; everything else is a system message. */
const PERSON_MESSAGE_TYPES = new Set([0, 19]);

export interface ListenRules {
  /** The orchestrator bot's own user id. */
  selfId: string | undefined;
  /** Bots whose messages are accepted (remote agents); every other bot is ignored. */
  remoteAgentBotIds: ReadonlySet<string>;
}

/** True when the swarm should deliver this message: people, and configured remote agent bots. */
export function isFromListenedAuthor(raw: RawDiscordMessage, rules: ListenRules): boolean {
  if (!PERSON_MESSAGE_TYPES.has(raw.type ?? 0)) return false;
  if (raw.author.id === rules.selfId || raw.webhook_id !== undefined) return false;
  if (raw.author.bot === true) return rules.remoteAgentBotIds.has(raw.author.id);
  return true;
}

/**
 * Converts a raw message. `channelId` is the swarm's channel (the parent, even for thread
 * messages); `threadId` is set when the message was posted in a task thread.
 */
export function toIncomingMessage(
  raw: RawDiscordMessage,
  where: { channelId: string; threadId?: string; roleIds?: string[] },
): IncomingMessage {
  const roleIds = where.roleIds ?? raw.member?.roles;
  // A listened-to bot (a remote agent, or the orchestrator) writes through this adapter's escaping:
  // undone here, its text arrives as it was written.
  const text = raw.author.bot === true ? unescapeDiscordMarkdown(raw.content) : raw.content;
  const replyTo = raw.message_reference?.message_id;
  return {
    platform: 'discord',
    channelId: where.channelId,
    messageId: raw.id,
    ...(where.threadId !== undefined ? { threadId: where.threadId } : {}),
    author: {
      id: raw.author.id,
      name: raw.member?.nick ?? raw.author.global_name ?? raw.author.username,
      isBot: raw.author.bot === true,
      ...(roleIds !== undefined ? { roleIds: [...roleIds] } : {}),
    },
    text,
    ...(raw.type === 19 && replyTo !== undefined ? { replyToMessageId: replyTo } : {}),
    sentAt: Date.parse(raw.timestamp),
    ...(raw.attachments?.length
      ? { attachments: raw.attachments.map((a) => ({ ref: a.url, fileName: a.filename, size: a.size })) }
      : {}),
  };
}
