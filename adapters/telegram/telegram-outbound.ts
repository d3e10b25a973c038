/**
 * Posting and editing on Telegram: text is split into messages under the 4096 limit, very long text
 * goes as a .txt document, attachments as documents (captioned when the text fits a caption), and an
 * edit goes through the bot that posted and falls back to the caption when the message is a document.
 */
import { InputFile } from 'grammy';
import type { Message } from 'grammy/types';
import type { MessageEdit, OutgoingMessage, SentMessage } from '../../src/chat/chat-port.ts';
import { truncateText } from '../../src/chat/split-text.ts';
import { ChatError } from '../../src/core/errors.ts';
import type { TelegramBot, TelegramBots } from './telegram-bots.ts';
import {
  neutraliseParts,
  renderedLength,
  TELEGRAM_CAPTION_LIMIT,
  TELEGRAM_TEXT_LIMIT,
  toTelegramCaption,
  toTelegramChunks,
  toTelegramHtml,
} from './telegram-format.ts';
import { isNoTextToEdit, isNotModified, toChatError } from './to-chat-error.ts';
import { toInlineKeyboard, toReplyMarkup } from './telegram-callbacks.ts';

/** The channel's settings that shape outgoing messages, with defaults already applied. */
export interface TelegramOutboundOptions {
  /** Forum topic to post in. */
  topicId?: number;
  /** Text longer than this many characters is sent as a .txt document instead of split messages. */
  documentThreshold: number;
  /** Larger attachments are refused before any call (Telegram's limit for bots). */
  maxAttachmentBytes: number;
  /** How many posted messages' senders are remembered for later edits. */
  rememberedMessages: number;
}

/** The channel's `send` and `edit`. */
export interface TelegramOutbound {
  // Function properties, not methods: they hold no `this`, so the channel can hand them on as they are.
  readonly send: (message: OutgoingMessage) => Promise<SentMessage>;
  readonly edit: (target: SentMessage, message: MessageEdit) => Promise<void>;
}

/** Who sent a message we posted, so an edit goes through the same bot and keeps the label. */
interface SentBy {
  agentId?: string;
  speakerLabel?: string;
}

/** Creates `send` and `edit` over the channel's bots. */
export function createTelegramOutbound(
  bots: TelegramBots,
  options: TelegramOutboundOptions,
): TelegramOutbound {
  const sentBy = new Map<string, SentBy>();

  const remember = (messageId: string, by: SentBy): void => {
    if (by.agentId === undefined && by.speakerLabel === undefined) return;
    sentBy.set(messageId, by);
    if (sentBy.size > options.rememberedMessages) sentBy.delete(sentBy.keys().next().value!);
  };

  const replyTarget = (message: OutgoingMessage): string | undefined =>
    message.replyToMessageId ?? message.under?.messageId;
  // A reply names a message: after a group's upgrade it must not be sent again in the supergroup.
  const repliesTo = (message: OutgoingMessage): boolean => replyTarget(message) !== undefined;
  const sendParts = (message: OutgoingMessage) => {
    const reply = replyTarget(message);
    return {
      parse_mode: 'HTML' as const,
      link_preview_options: { is_disabled: true },
      ...(options.topicId === undefined ? {} : { message_thread_id: options.topicId }),
      ...(reply === undefined
        ? {}
        : { reply_parameters: { message_id: Number(reply), allow_sending_without_reply: true } }),
    };
  };
  const toSent = (m: Message): SentMessage =>
    m.message_thread_id !== undefined && m.is_topic_message
      ? { messageId: String(m.message_id), threadId: String(m.message_thread_id) }
      : { messageId: String(m.message_id) };

  const sendDocument = (
    bot: TelegramBot,
    message: OutgoingMessage,
    file: { fileName: string; content: Buffer },
    caption?: string,
  ) =>
    bots.call(
      bot,
      'sendDocument',
      (chat) =>
        bot.api.sendDocument(chat, new InputFile(file.content, file.fileName), {
          ...sendParts(message),
          ...(caption === undefined ? {} : { caption }),
        }),
      repliesTo(message),
    );

  const send = async (message: OutgoingMessage): Promise<SentMessage> => {
    const bot = bots.botFor(message.speaker);
    const by: SentBy = bot.agentId !== undefined ? { agentId: bot.agentId } : {};
    if (bot.agentId === undefined && message.speaker !== undefined) by.speakerLabel = message.speaker;
    const parts = neutraliseParts({
      text: message.text,
      ...(message.heading === undefined ? {} : { heading: message.heading }),
      ...(by.speakerLabel === undefined ? {} : { speaker: by.speakerLabel }),
    });
    if (message.attachment && message.attachment.content.length > options.maxAttachmentBytes) {
      throw new ChatError(
        `Attachment ${message.attachment.fileName} is larger than Telegram's 50 MB for bots`,
        { permanent: true },
      );
    }
    let first: Message;
    if (message.attachment && renderedLength(parts) <= TELEGRAM_CAPTION_LIMIT) {
      first = await sendDocument(bot, message, message.attachment, toTelegramHtml(parts));
    } else if (parts.text.length > options.documentThreshold) {
      const fileName = `${message.under?.taskId ?? 'message'}.txt`;
      first = await sendDocument(
        bot,
        message,
        // A file is not scanned for mentions: it keeps the text exactly as written.
        { fileName, content: Buffer.from(message.text) },
        toTelegramCaption(parts),
      );
      if (message.attachment)
        await sendDocument(
          bot,
          { ...message, replyToMessageId: String(first.message_id) },
          message.attachment,
        );
    } else {
      const chunks = toTelegramChunks(parts);
      // Buttons (or a prompt's reply box) go on the first message, the one a task anchors on.
      const markup = toReplyMarkup(message);
      first = await bots.call(
        bot,
        'sendMessage',
        (chat) =>
          bot.api.sendMessage(chat, chunks[0]!, {
            ...sendParts(message),
            ...(markup === undefined ? {} : { reply_markup: markup }),
          }),
        repliesTo(message),
      );
      for (const chunk of chunks.slice(1)) {
        await bots.call(
          bot,
          'sendMessage',
          (chat) => bot.api.sendMessage(chat, chunk, sendParts(message)),
          repliesTo(message),
        );
      }
      if (message.attachment)
        await sendDocument(
          bot,
          { ...message, replyToMessageId: String(first.message_id) },
          message.attachment,
        );
    }
    const sent = toSent(first);
    remember(sent.messageId, by);
    return sent;
  };

  const edit = async (target: SentMessage, message: MessageEdit): Promise<void> => {
    const by = sentBy.get(target.messageId) ?? {};
    const bot = bots.botFor(by.agentId);
    // Defused before measuring, so the cut below leaves room for the joiners.
    const parts = neutraliseParts({
      text: message.text,
      ...(message.heading === undefined ? {} : { heading: message.heading }),
      ...(by.speakerLabel === undefined ? {} : { speaker: by.speakerLabel }),
    });
    const overflow = renderedLength(parts) - TELEGRAM_TEXT_LIMIT;
    if (overflow > 0) parts.text = truncateText(parts.text, Math.max(1, parts.text.length - overflow));
    const messageId = Number(target.messageId);
    // Telegram removes the buttons of an edit that names none; `actions: []` wants exactly that.
    const keyboard = toInlineKeyboard(message.actions);
    const format = {
      parse_mode: 'HTML' as const,
      ...(keyboard === undefined ? {} : { reply_markup: keyboard }),
    };
    try {
      await bots.callRaw(bot, 'editMessageText', (chat) =>
        bot.api.editMessageText(chat, messageId, toTelegramHtml(parts), {
          ...format,
          link_preview_options: { is_disabled: true },
        }),
      );
    } catch (err) {
      if (isNotModified(err)) return;
      if (!isNoTextToEdit(err)) throw toChatError(err, 'editMessageText', bots.tokens);
      // The message is a document: its text is the caption.
      try {
        await bots.callRaw(bot, 'editMessageCaption', (chat) =>
          bot.api.editMessageCaption(chat, messageId, { ...format, caption: toTelegramCaption(parts) }),
        );
      } catch (captionErr) {
        if (!isNotModified(captionErr)) throw toChatError(captionErr, 'editMessageCaption', bots.tokens);
      }
    }
  };

  return { send, edit };
}
