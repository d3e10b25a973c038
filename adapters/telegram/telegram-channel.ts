/**
 * The Telegram ChatPort on grammY. Only the orchestrator's bot polls; agents with their own token
 * only send (one grammY `Api` each); agents without one speak through the orchestrator's bot with
 * their name shown. Every call goes through a per-bot rate limiter shaped like Telegram's limits,
 * and every failure through `toChatError`; the core's outbox decides retries. The bots live in
 * `telegram-bots.ts`, sending and editing in `telegram-outbound.ts`; this file wires them to polling.
 */
import type { CallbackQuery, Update } from 'grammy/types';
import type {
  ChatLimits,
  ChatPort,
  IncomingMessage,
  InteractionReply,
  MessageEdit,
  MessageHandler,
  SentMessage,
} from '../../src/chat/chat-port.ts';
import type { Logger } from '../../src/core/logger.ts';
import { TELEGRAM_TEXT_LIMIT } from './telegram-format.ts';
import { createTelegramBots } from './telegram-bots.ts';
import { createTelegramCheckpoint } from './telegram-checkpoint.ts';
import { createTelegramOutbound } from './telegram-outbound.ts';
import {
  createTelegramPoller,
  DEFAULT_TELEGRAM_POLLING,
  type TelegramPollingOptions,
} from './telegram-poller.ts';
import { DEFAULT_TELEGRAM_RATE_LIMITS, type TelegramRateLimits } from './telegram-rate-limiter.ts';
import { toChatError } from './to-chat-error.ts';
import { toIncomingMessage } from './to-incoming-message.ts';
import { downloadTelegramFile } from './telegram-download.ts';
import { toIncomingInteraction, toToast, type CallbackFilter } from './telegram-callbacks.ts';
import { publishBotCommands, type TelegramBotCommand } from './telegram-bot-commands.ts';

/** Configuration of one Telegram channel (one supergroup, optionally one forum topic). */
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
  /**
   * User ids of the bots whose group messages and edits are delivered (remote agents; on a remote
   * agent, the orchestrator). Telegram shows them only under Bot-to-Bot Communication Mode.
   * @see https://core.telegram.org/api/bots/bot-to-bot
   */
  remoteAgentBotIds?: readonly string[];
}

/** What the channel is given rather than creating itself. */
export interface TelegramChannelDeps {
  log: Logger;
  /** Clock for the rate limiter, in ms. */
  now?: () => number;
}

/** The ChatPort, plus the chat it currently posts to (it changes when a group is migrated). */
export interface TelegramChannel extends ChatPort {
  readonly chatId: string;
  edit(target: SentMessage, message: MessageEdit): Promise<void>;
}

/** The channel's fixed limits and tunables. */
export const DEFAULT_TELEGRAM_CHANNEL = {
  // Room under Telegram's 4096 for the speaker label and line breaks the adapter adds.
  limits: { maxTextLength: 4_000, maxAttachmentBytes: 50 * 1024 * 1024 },
  documentThreshold: 4 * TELEGRAM_TEXT_LIMIT,
  sendTimeoutSeconds: 30,
  handlerAttempts: 3,
  rememberedMessages: 10_000,
} as const satisfies { limits: ChatLimits } & Record<string, unknown>;

/** Creates the Telegram channel; nothing connects until `start` or the first `send`. */
export function createTelegramChannel(
  options: TelegramChannelOptions,
  deps: TelegramChannelDeps,
): TelegramChannel {
  const { log } = deps;
  const polling = { ...DEFAULT_TELEGRAM_POLLING, ...options.polling };
  const bots = createTelegramBots(
    {
      token: options.token,
      agentTokens: options.agentTokens ?? {},
      apiRoot: options.apiRoot ?? 'https://api.telegram.org',
      chatId: String(options.chatId),
      rateLimits: { ...DEFAULT_TELEGRAM_RATE_LIMITS, ...options.rateLimits },
      pollTimeoutSeconds: polling.timeoutSeconds + 15,
      sendTimeoutSeconds: DEFAULT_TELEGRAM_CHANNEL.sendTimeoutSeconds,
    },
    deps,
  );
  const { pollBot, tokens } = bots;
  const poller = createTelegramPoller(pollBot.api, polling, log);
  const { send, edit } = createTelegramOutbound(bots, {
    ...(options.topicId === undefined ? {} : { topicId: options.topicId }),
    documentThreshold: options.documentThreshold ?? DEFAULT_TELEGRAM_CHANNEL.documentThreshold,
    maxAttachmentBytes: DEFAULT_TELEGRAM_CHANNEL.limits.maxAttachmentBytes,
    rememberedMessages: DEFAULT_TELEGRAM_CHANNEL.rememberedMessages,
  });
  let started = false;
  let stopping: Promise<void> | undefined;

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

  /** Answers a press once; a failure (the press is too old) costs a log line. */
  const answerPress = async (queryId: string, text: string): Promise<void> => {
    try {
      await pollBot.api.answerCallbackQuery(queryId, text === '' ? {} : { text });
    } catch (err) {
      log.warn('Telegram: could not answer a button press', {
        error: toChatError(err, 'answerCallbackQuery', tokens).message,
      });
    }
  };

  /** A button press: delivered as an interaction whose outcome is the toast; others get an empty answer. */
  const onPress = async (
    query: CallbackQuery,
    filter: CallbackFilter,
    onMessage: MessageHandler,
  ): Promise<void> => {
    let answered = false;
    const ack = async (reply: InteractionReply): Promise<void> => {
      if (answered) return;
      answered = true;
      await answerPress(query.id, toToast(reply));
    };
    const message = toIncomingInteraction(query, filter, ack);
    if (message === undefined) {
      log.debug('Telegram: button press ignored', { updateChat: query.message?.chat.id });
      await ack({ ok: false, text: '' });
      return;
    }
    await deliver(onMessage, message);
    // A handler that never answered must not leave the person's app spinning.
    await ack({ ok: false, text: '⚠️ The swarm could not handle that press; try again.' });
  };

  return {
    platform: 'telegram',
    limits: DEFAULT_TELEGRAM_CHANNEL.limits,
    get chatId() {
      return bots.chatId;
    },
    // Follows the group's migration to a supergroup: the new chat numbers its messages afresh.
    get destination() {
      return `telegram:${bots.chatId}`;
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
        await publishBotCommands(pollBot.api, bots.apiChatId(), options.botCommands, { log, tokens });
      started = true;
      const filter = {
        botId: me.id,
        botUsername: me.username,
        listenToBotIds: new Set(options.remoteAgentBotIds ?? []),
        ...(options.topicId === undefined ? {} : { topicId: options.topicId }),
      };
      poller.start(async (update: Update) => {
        if (update.callback_query) {
          await onPress(update.callback_query, { ...filter, chatId: bots.chatId }, onMessage);
          return;
        }
        const result = toIncomingMessage(update, { ...filter, chatId: bots.chatId });
        if (result.kind === 'migrated') bots.switchChat(result.toChatId);
        else if (result.kind === 'message') await deliver(onMessage, result.message);
        else log.debug('Telegram: update ignored', { updateId: update.update_id, reason: result.reason });
      });
      log.info('Telegram: polling started', { bot: me.username, chatId: bots.chatId });
    },
    async stop() {
      stopping ??= (async () => {
        await poller.stop();
        await bots.stop();
        started = false;
      })();
      await stopping;
      stopping = undefined;
    },
    send,
    edit,
    download: (attachment, maxBytes) =>
      downloadTelegramFile(
        pollBot.api,
        options.apiRoot ?? 'https://api.telegram.org',
        options.token,
        attachment,
        maxBytes,
      ),
    checkpoint: createTelegramCheckpoint(
      bots,
      options.topicId === undefined ? {} : { topicId: options.topicId },
      log,
    ),
  };
}
