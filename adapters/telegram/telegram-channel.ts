/**
 * The Telegram ChatPort on grammY. Only the orchestrator's bot polls; agents with their own token
 * only send (one grammY `Api` each); agents without one speak through the orchestrator's bot with
 * their name shown. Every call goes through a per-bot rate limiter shaped like Telegram's limits,
 * and every failure through `toChatError`; the core's outbox decides retries.
 */
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { Api, InputFile } from 'grammy';
import type { Message, Update } from 'grammy/types';
import type {
  ChatLimits,
  ChatPort,
  IncomingMessage,
  MessageHandler,
  OutgoingMessage,
  SentMessage,
} from '../../src/chat/chat-port.ts';
import { ChatError } from '../../src/core/errors.ts';
import type { Logger } from '../../src/core/logger.ts';
import { truncateText } from '../../src/chat/split-text.ts';
import {
  renderedLength,
  TELEGRAM_CAPTION_LIMIT,
  TELEGRAM_TEXT_LIMIT,
  toTelegramCaption,
  toTelegramChunks,
  toTelegramHtml,
} from './telegram-format.ts';
import {
  createTelegramPoller,
  DEFAULT_TELEGRAM_POLLING,
  type TelegramPollingOptions,
} from './telegram-poller.ts';
import {
  createTelegramRateLimiter,
  DEFAULT_TELEGRAM_RATE_LIMITS,
  type TelegramRateLimiter,
  type TelegramRateLimits,
} from './telegram-rate-limiter.ts';
import {
  isNoTextToEdit,
  isNotModified,
  migrateToChatIdOf,
  retryAfterMsOf,
  toChatError,
} from './to-chat-error.ts';
import { toIncomingMessage } from './to-incoming-message.ts';
import { publishBotCommands, type TelegramBotCommand } from './telegram-bot-commands.ts';

export interface TelegramChannelOptions {
  /** The orchestrator's bot token (the only one that polls). */
  token: string;
  /** The supergroup: numeric id (`-100…`) or `@username` of a public group. */
  chatId: number | string;
  /** Forum topic to post in and listen to. */
  topicId?: number;
  /** Agent id → that agent's own bot token; those agents post as their own bot. */
  agentTokens?: Record<string, string>;
  /** Bot API root without trailing slash (a local Bot API server, or a test fake). */
  apiRoot?: string;
  /** Override the platform-shaped rate limits, each window replaced whole. */
  rateLimits?: Partial<TelegramRateLimits>;
  /** Long-polling tunables. */
  polling?: Partial<TelegramPollingOptions>;
  /** Text longer than this many characters is sent as a .txt document instead of split messages. */
  documentThreshold?: number;
  /** The `/` menu set for the chat at start (fitted to Telegram's limits); none is set when omitted. */
  botCommands?: readonly TelegramBotCommand[];
}

export interface TelegramChannelDeps {
  log: Logger;
  /** Clock for the rate limiter, in ms. */
  now?: () => number;
}

/** The ChatPort, plus the chat it currently posts to (it changes when a group is migrated). */
export interface TelegramChannel extends ChatPort {
  readonly chatId: string;
  edit(target: SentMessage, message: Pick<OutgoingMessage, 'heading' | 'text'>): Promise<void>;
}

export const DEFAULT_TELEGRAM_CHANNEL = {
  // Room under Telegram's 4096 for the speaker label and line breaks the adapter adds.
  limits: { maxTextLength: 4_000, maxAttachmentBytes: 50 * 1024 * 1024 },
  documentThreshold: 4 * TELEGRAM_TEXT_LIMIT,
  sendTimeoutSeconds: 30,
  handlerAttempts: 3,
  rememberedMessages: 10_000,
} as const satisfies { limits: ChatLimits } & Record<string, unknown>;

interface BotHandle {
  api: Api;
  limiter: TelegramRateLimiter;
  agent: HttpAgent;
  /** Set for an agent's own bot. */
  agentId?: string;
}

/** Who sent a message we posted, so an edit goes through the same bot and keeps the label. */
interface SentBy {
  agentId?: string;
  speakerLabel?: string;
}

/** Creates the Telegram channel; nothing connects until `start` or the first `send`. */
export function createTelegramChannel(
  options: TelegramChannelOptions,
  deps: TelegramChannelDeps,
): TelegramChannel {
  const { log } = deps;
  const apiRoot = options.apiRoot ?? 'https://api.telegram.org';
  const limits = { ...DEFAULT_TELEGRAM_RATE_LIMITS, ...options.rateLimits };
  const polling = { ...DEFAULT_TELEGRAM_POLLING, ...options.polling };
  const documentThreshold = options.documentThreshold ?? DEFAULT_TELEGRAM_CHANNEL.documentThreshold;
  const tokens = [options.token, ...Object.values(options.agentTokens ?? {})];
  let chatId = String(options.chatId);
  const bots = new Map<string, BotHandle>();
  const sentBy = new Map<string, SentBy>();
  let started = false;
  let stopping: Promise<void> | undefined;

  const makeBot = (token: string, timeoutSeconds: number, agentId?: string): BotHandle => {
    const agent = apiRoot.startsWith('https:')
      ? new HttpsAgent({ keepAlive: true })
      : new HttpAgent({ keepAlive: true });
    // Our own agent (not grammY's shared one) so stop() can close every socket.
    const api = new Api(token, { apiRoot, timeoutSeconds, baseFetchConfig: { agent } });
    const bot: BotHandle = { api, agent, limiter: createTelegramRateLimiter(limits, deps.now) };
    if (agentId !== undefined) bot.agentId = agentId;
    return bot;
  };
  const botFor = (agentId: string | undefined): BotHandle => {
    const token = agentId === undefined ? undefined : options.agentTokens?.[agentId];
    const key = token === undefined ? '' : `agent:${agentId}`;
    let bot = bots.get(key);
    if (!bot) {
      bot = makeBot(
        token ?? options.token,
        DEFAULT_TELEGRAM_CHANNEL.sendTimeoutSeconds,
        token === undefined ? undefined : agentId,
      );
      bots.set(key, bot);
    }
    return bot;
  };
  const pollBot = makeBot(options.token, polling.timeoutSeconds + 15);
  const poller = createTelegramPoller(pollBot.api, polling, log);
  const apiChatId = (): number | string => (/^-?\d+$/.test(chatId) ? Number(chatId) : chatId);

  const switchChat = (to: number): void => {
    if (String(to) === chatId) return;
    log.warn(
      'Telegram: the group was upgraded to a supergroup; following it. Put the new chat id in the config',
      {
        from: chatId,
        to,
      },
    );
    chatId = String(to);
  };

  /**
   * One API call through the bot's limiter; follows a group migration once and, on a 429, holds the
   * bot's calls to the chat until retry_after. Throws grammY's error; `call` maps it.
   */
  const callRaw = async <T>(
    bot: BotHandle,
    method: string,
    fn: (chat: number | string) => Promise<T>,
  ): Promise<T> => {
    for (let attempt = 0; ; attempt++) {
      const chatKey = chatId;
      try {
        return await bot.limiter.schedule(chatKey, () => fn(apiChatId()));
      } catch (err) {
        const migratedTo = migrateToChatIdOf(err);
        if (migratedTo !== undefined && attempt === 0) {
          switchChat(migratedTo);
          continue;
        }
        const retryAfterMs = retryAfterMsOf(err);
        if (retryAfterMs !== undefined) {
          bot.limiter.hold(chatKey, retryAfterMs);
          log.warn('Telegram: rate limited (429); holding this bot for the chat', { method, retryAfterMs });
        }
        throw err;
      }
    }
  };
  const call = async <T>(
    bot: BotHandle,
    method: string,
    fn: (chat: number | string) => Promise<T>,
  ): Promise<T> => {
    try {
      return await callRaw(bot, method, fn);
    } catch (err) {
      throw toChatError(err, method, tokens);
    }
  };

  const remember = (messageId: string, by: SentBy): void => {
    if (by.agentId === undefined && by.speakerLabel === undefined) return;
    sentBy.set(messageId, by);
    if (sentBy.size > DEFAULT_TELEGRAM_CHANNEL.rememberedMessages) sentBy.delete(sentBy.keys().next().value!);
  };

  const sendParts = (message: OutgoingMessage) => {
    const reply = message.replyToMessageId ?? message.under?.messageId;
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
    bot: BotHandle,
    message: OutgoingMessage,
    file: { fileName: string; content: Buffer },
    caption?: string,
  ) =>
    call(bot, 'sendDocument', (chat) =>
      bot.api.sendDocument(chat, new InputFile(file.content, file.fileName), {
        ...sendParts(message),
        ...(caption === undefined ? {} : { caption }),
      }),
    );

  const send = async (message: OutgoingMessage): Promise<SentMessage> => {
    const bot = botFor(message.speaker);
    const by: SentBy = bot.agentId !== undefined ? { agentId: bot.agentId } : {};
    if (bot.agentId === undefined && message.speaker !== undefined) by.speakerLabel = message.speaker;
    const parts = {
      text: message.text,
      ...(message.heading === undefined ? {} : { heading: message.heading }),
      ...(by.speakerLabel === undefined ? {} : { speaker: by.speakerLabel }),
    };
    if (
      message.attachment &&
      message.attachment.content.length > DEFAULT_TELEGRAM_CHANNEL.limits.maxAttachmentBytes
    ) {
      throw new ChatError(
        `Attachment ${message.attachment.fileName} is larger than Telegram's 50 MB for bots`,
        { permanent: true },
      );
    }
    let first: Message;
    if (message.attachment && renderedLength(parts) <= TELEGRAM_CAPTION_LIMIT) {
      first = await sendDocument(bot, message, message.attachment, toTelegramHtml(parts));
    } else if (parts.text.length > documentThreshold) {
      const fileName = `${message.under?.taskId ?? 'message'}.txt`;
      first = await sendDocument(
        bot,
        message,
        { fileName, content: Buffer.from(parts.text) },
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
      first = await call(bot, 'sendMessage', (chat) =>
        bot.api.sendMessage(chat, chunks[0]!, sendParts(message)),
      );
      for (const chunk of chunks.slice(1)) {
        await call(bot, 'sendMessage', (chat) => bot.api.sendMessage(chat, chunk, sendParts(message)));
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

  const edit = async (
    target: SentMessage,
    message: Pick<OutgoingMessage, 'heading' | 'text'>,
  ): Promise<void> => {
    const by = sentBy.get(target.messageId) ?? {};
    const bot = botFor(by.agentId);
    const parts = {
      text: message.text,
      ...(message.heading === undefined ? {} : { heading: message.heading }),
      ...(by.speakerLabel === undefined ? {} : { speaker: by.speakerLabel }),
    };
    const overflow = renderedLength(parts) - TELEGRAM_TEXT_LIMIT;
    if (overflow > 0) parts.text = truncateText(parts.text, Math.max(1, parts.text.length - overflow));
    const messageId = Number(target.messageId);
    const format = { parse_mode: 'HTML' as const };
    try {
      await callRaw(bot, 'editMessageText', (chat) =>
        bot.api.editMessageText(chat, messageId, toTelegramHtml(parts), {
          ...format,
          link_preview_options: { is_disabled: true },
        }),
      );
    } catch (err) {
      if (isNotModified(err)) return;
      if (!isNoTextToEdit(err)) throw toChatError(err, 'editMessageText', tokens);
      // The message is a document: its text is the caption.
      try {
        await callRaw(bot, 'editMessageCaption', (chat) =>
          bot.api.editMessageCaption(chat, messageId, { ...format, caption: toTelegramCaption(parts) }),
        );
      } catch (captionErr) {
        if (!isNotModified(captionErr)) throw toChatError(captionErr, 'editMessageCaption', tokens);
      }
    }
  };

  const deliver = async (onMessage: MessageHandler, message: IncomingMessage): Promise<void> => {
    for (let attempt = 1; ; attempt++) {
      try {
        await onMessage(message);
        return;
      } catch (err) {
        const fields = {
          messageId: message.messageId,
          attempt,
          error: err instanceof Error ? err.message : String(err),
        };
        if (attempt >= DEFAULT_TELEGRAM_CHANNEL.handlerAttempts) {
          log.error('Telegram: message handler failed; message skipped', fields);
          return;
        }
        log.warn('Telegram: message handler failed; retrying', fields);
      }
    }
  };

  return {
    platform: 'telegram',
    limits: DEFAULT_TELEGRAM_CHANNEL.limits,
    get chatId() {
      return chatId;
    },
    async start(onMessage) {
      if (started) return;
      await stopping;
      let me;
      try {
        me = await pollBot.api.getMe();
        // Long polling needs no webhook; pending updates are kept (never drop_pending_updates).
        await pollBot.api.deleteWebhook();
      } catch (err) {
        throw toChatError(err, 'getMe', tokens);
      }
      if (options.botCommands !== undefined)
        await publishBotCommands(pollBot.api, apiChatId(), options.botCommands, { log, tokens });
      started = true;
      const filter = {
        botId: me.id,
        botUsername: me.username,
        ...(options.topicId === undefined ? {} : { topicId: options.topicId }),
      };
      poller.start(async (update: Update) => {
        const result = toIncomingMessage(update, { ...filter, chatId });
        if (result.kind === 'migrated') switchChat(result.toChatId);
        else if (result.kind === 'message') await deliver(onMessage, result.message);
        else log.debug('Telegram: update ignored', { updateId: update.update_id, reason: result.reason });
      });
      log.info('Telegram: polling started', { bot: me.username, chatId });
    },
    async stop() {
      stopping ??= (async () => {
        await poller.stop();
        for (const bot of [pollBot, ...bots.values()]) {
          await bot.limiter.stop();
          bot.agent.destroy();
        }
        bots.clear();
        started = false;
      })();
      await stopping;
      stopping = undefined;
    },
    send,
    edit,
  };
}
