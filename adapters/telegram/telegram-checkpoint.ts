/**
 * The Telegram checkpoint board: the checkpoint is a plain-text message of the orchestrator's bot,
 * pinned silently (the bot needs the "Pin messages" admin right) and edited in place afterwards. It
 * is read back through getChat's `pinned_message`, which is the chat's most recent pinned message by
 * sending date: a newer message pinned by someone else hides it until it is re-published.
 * @see https://core.telegram.org/bots/api#pinchatmessage
 * @see https://core.telegram.org/bots/api#chatfullinfo
 */
import { GrammyError } from 'grammy';
import type { CheckpointBoard } from '../../src/chat/chat-port.ts';
import type { Logger } from '../../src/core/logger.ts';
import type { TelegramBots } from './telegram-bots.ts';
import { isNotModified, toChatError } from './to-chat-error.ts';

/** True when the message to edit is gone (deleted by someone). */
function isGone(err: unknown): boolean {
  return (
    err instanceof GrammyError &&
    err.error_code === 400 &&
    err.description.includes('message to edit not found')
  );
}

/** Creates the board over the channel's bots; posts in the forum topic when there is one. */
export function createTelegramCheckpoint(
  bots: TelegramBots,
  options: { topicId?: number },
  log: Logger,
): CheckpointBoard {
  const plain = { link_preview_options: { is_disabled: true } };
  return {
    async publish(text, previous) {
      const bot = bots.botFor(undefined);
      if (previous) {
        try {
          await bots.callRaw(bot, 'editMessageText', (chat) =>
            bot.api.editMessageText(chat, Number(previous.messageId), text, plain),
          );
          return previous;
        } catch (err) {
          if (isNotModified(err)) return previous;
          if (!isGone(err)) throw toChatError(err, 'editMessageText', bots.tokens);
          log.warn('Telegram: the checkpoint message is gone; posting a new one', {
            messageId: previous.messageId,
          });
        }
      }
      const sent = await bots.call(bot, 'sendMessage', (chat) =>
        bot.api.sendMessage(chat, text, {
          ...plain,
          disable_notification: true,
          ...(options.topicId === undefined ? {} : { message_thread_id: options.topicId }),
        }),
      );
      try {
        await bots.call(bot, 'pinChatMessage', (chat) =>
          bot.api.pinChatMessage(chat, sent.message_id, { disable_notification: true }),
        );
      } catch (err) {
        // An unpinned checkpoint anchors nothing: take it back rather than leave copies behind.
        await bots
          .call(bot, 'deleteMessage', (chat) => bot.api.deleteMessage(chat, sent.message_id))
          .catch((e: unknown) =>
            log.warn('Telegram: could not remove the unpinned checkpoint', { error: String(e) }),
          );
        throw err;
      }
      return { messageId: String(sent.message_id) };
    },

    async read() {
      const { pollBot } = bots;
      const me = await bots.call(pollBot, 'getMe', () => pollBot.api.getMe());
      const chat = await bots.call(pollBot, 'getChat', (id) => pollBot.api.getChat(id));
      const pinned = chat.pinned_message;
      if (!pinned || pinned.from?.id !== me.id || !('text' in pinned) || pinned.text === undefined) return [];
      return [pinned.text];
    },
  };
}
