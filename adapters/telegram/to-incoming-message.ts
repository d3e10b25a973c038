/**
 * Maps a Telegram update to what the core sees: a person's message in the configured chat (and
 * topic), a note that the group was migrated, or a reason to ignore it. The message carries the
 * bot's username, so the core's grammar can tell `/cmd@this_bot` from a command for another bot.
 * @see https://core.telegram.org/bots/features#commands
 */
import type { Message, Update } from 'grammy/types';
import type { IncomingMessage } from '../../src/chat/chat-port.ts';

/** What the orchestrator's bot listens for. */
export interface IncomingFilter {
  /** Configured chat: numeric id as text, or `@username` of a public group. */
  chatId: string;
  /** Only messages in this forum topic, when set. */
  topicId?: number;
  botId: number;
  botUsername: string;
  /**
   * Bots whose group messages (and edits) are delivered: remote agents to the orchestrator, the
   * orchestrator to a remote agent. Every other bot is ignored; edits of people's messages too.
   */
  listenToBotIds?: ReadonlySet<string>;
}

export type IncomingResult =
  | { kind: 'message'; message: IncomingMessage }
  | { kind: 'migrated'; toChatId: number }
  | { kind: 'ignored'; reason: string };

/** True when `chat` is the configured chat. */
export function isConfiguredChat(chat: Message['chat'], chatId: string): boolean {
  if (chatId.startsWith('@'))
    return 'username' in chat && chat.username?.toLowerCase() === chatId.slice(1).toLowerCase();
  return String(chat.id) === chatId;
}

/** Maps one update; see the file comment. */
export function toIncomingMessage(update: Update, filter: IncomingFilter): IncomingResult {
  const edited = update.message === undefined ? update.edited_message : undefined;
  const message = update.message ?? edited;
  if (!message) return { kind: 'ignored', reason: 'not a new message' };
  if (!isConfiguredChat(message.chat, filter.chatId)) return { kind: 'ignored', reason: 'other chat' };
  if (message.migrate_to_chat_id !== undefined)
    return { kind: 'migrated', toChatId: message.migrate_to_chat_id };
  const from = message.from;
  if (!from) return { kind: 'ignored', reason: 'no sender' };
  if (from.id === filter.botId) return { kind: 'ignored', reason: 'own message' };
  const listened = from.is_bot && filter.listenToBotIds?.has(String(from.id)) === true;
  if (from.is_bot && !listened) return { kind: 'ignored', reason: 'from a bot' };
  if (edited && !listened) return { kind: 'ignored', reason: 'an edit' };
  const threadId = message.is_topic_message ? message.message_thread_id : undefined;
  if (filter.topicId !== undefined && threadId !== filter.topicId)
    return { kind: 'ignored', reason: 'other topic' };
  const text = message.text ?? message.caption;
  if (text === undefined) return { kind: 'ignored', reason: 'no text' };

  const out: IncomingMessage = {
    platform: 'telegram',
    channelId: String(message.chat.id),
    messageId: String(message.message_id),
    author: {
      id: String(from.id),
      name: [from.first_name, from.last_name].filter(Boolean).join(' ') || from.username || String(from.id),
      isBot: from.is_bot,
    },
    text,
    botUsername: filter.botUsername,
    sentAt: message.date * 1_000,
  };
  if (edited) out.edited = true;
  const doc = message.document;
  if (doc)
    out.attachments = [{ ref: doc.file_id, fileName: doc.file_name ?? 'file', size: doc.file_size ?? 0 }];
  if (threadId !== undefined) out.threadId = String(threadId);
  // Inside a forum topic every message "replies" to the topic's first message; that is no real reply.
  const reply = message.reply_to_message;
  if (reply && reply.forum_topic_created === undefined && reply.message_id !== threadId) {
    out.replyToMessageId = String(reply.message_id);
  }
  return { kind: 'message', message: out };
}
