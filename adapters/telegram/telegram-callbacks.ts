/**
 * Buttons on Telegram: a task's actions as an inline keyboard (`callback_data` within Telegram's 64
 * bytes), a prompt for text as a ForceReply, and a press (`callback_query` update) mapped to the
 * core's interaction, answered once with answerCallbackQuery (a short toast) so the person's app
 * stops its progress indicator.
 * @see https://core.telegram.org/bots/api#inlinekeyboardmarkup
 * @see https://core.telegram.org/bots/api#answercallbackquery
 */
import type { CallbackQuery, ForceReply, InlineKeyboardMarkup } from 'grammy/types';
import {
  MAX_ACTION_DATA_BYTES,
  type IncomingMessage,
  type InteractionReply,
  type MessageAction,
  type OutgoingMessage,
} from '../../src/chat/chat-port.ts';
import { isConfiguredChat } from './to-incoming-message.ts';

/** answerCallbackQuery's text limit. */
export const TOAST_MAX_CHARS = 200;
/** ForceReply's placeholder limit. */
const PLACEHOLDER_MAX_CHARS = 64;
/** Buttons per keyboard row: three fit a phone's width with their labels. */
const PER_ROW = 3;

/** The inline keyboard for a message's actions; undefined when it has none (an edit then removes it). */
export function toInlineKeyboard(
  actions: readonly MessageAction[] | undefined,
): InlineKeyboardMarkup | undefined {
  // Data the core made is within the limit; anything else would be refused whole by Telegram.
  const usable = (actions ?? []).filter((a) => {
    const bytes = Buffer.byteLength(a.data, 'utf8');
    return bytes >= 1 && bytes <= MAX_ACTION_DATA_BYTES;
  });
  if (usable.length === 0) return undefined;
  const rows: InlineKeyboardMarkup['inline_keyboard'] = [];
  for (let i = 0; i < usable.length; i += PER_ROW) {
    rows.push(usable.slice(i, i + PER_ROW).map((a) => ({ text: a.label, callback_data: a.data })));
  }
  return { inline_keyboard: rows };
}

/** The reply markup a new message carries: its buttons, or the reply box of a prompt. */
export function toReplyMarkup(message: OutgoingMessage): InlineKeyboardMarkup | ForceReply | undefined {
  if (message.promptsReply) {
    return {
      force_reply: true,
      input_field_placeholder: [...message.promptsReply.placeholder].slice(0, PLACEHOLDER_MAX_CHARS).join(''),
    };
  }
  return toInlineKeyboard(message.actions);
}

/** A toast fits Telegram's 200 characters. */
export function toToast(reply: InteractionReply): string {
  const chars = [...reply.text.replace(/\s*\n\s*/g, ' ')];
  return chars.length > TOAST_MAX_CHARS ? `${chars.slice(0, TOAST_MAX_CHARS - 1).join('')}…` : chars.join('');
}

/** What the channel listens to, for presses. */
export interface CallbackFilter {
  chatId: string;
  topicId?: number;
  botUsername: string;
}

/**
 * Maps a press to the core's message with an interaction; undefined for a press the swarm does not
 * take (another chat or topic, a message it cannot see, no data), which is still answered.
 */
export function toIncomingInteraction(
  query: CallbackQuery,
  filter: CallbackFilter,
  ack: (reply: InteractionReply) => Promise<void>,
): IncomingMessage | undefined {
  const message = query.message;
  if (!message || query.data === undefined) return undefined;
  if (!isConfiguredChat(message.chat, filter.chatId)) return undefined;
  if (filter.topicId !== undefined) {
    const thread = 'message_thread_id' in message ? message.message_thread_id : undefined;
    if (thread !== filter.topicId) return undefined;
  }
  const from = query.from;
  return {
    platform: 'telegram',
    channelId: String(message.chat.id),
    // Callback query ids never collide with message ids, but the prefix keeps the inbox readable.
    messageId: `cb:${query.id}`,
    author: {
      id: String(from.id),
      name: [from.first_name, from.last_name].filter(Boolean).join(' ') || from.username || String(from.id),
      isBot: from.is_bot,
    },
    text: '',
    botUsername: filter.botUsername,
    sentAt: Date.now(),
    interaction: { kind: 'button', data: query.data, messageId: String(message.message_id), ack },
  };
}
