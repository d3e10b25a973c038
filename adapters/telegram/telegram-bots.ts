/**
 * The Telegram channel's bots and the chat they post to. One grammY `Api` per token, each with its own
 * keep-alive HTTP agent and rate limiter; every call goes through that limiter, follows a group's
 * migration to a supergroup once and, on a 429, holds that bot's calls to the chat.
 */
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { Api } from 'grammy';
import { ChatError } from '../../src/core/errors.ts';
import type { Logger } from '../../src/core/logger.ts';
import {
  createTelegramRateLimiter,
  type TelegramRateLimiter,
  type TelegramRateLimits,
} from './telegram-rate-limiter.ts';
import { migrateToChatIdOf, retryAfterMsOf, toChatError } from './to-chat-error.ts';

/** Bot API methods that name a message of the chat by its id. */
const NAMES_MESSAGE = /^(edit|pin|unpin|delete|copy|forward|setMessageReaction)/;

/** One bot token's API client, with the limiter and HTTP agent that belong to it. */
export interface TelegramBot {
  api: Api;
  limiter: TelegramRateLimiter;
  agent: HttpAgent;
  /** Set for an agent's own bot. */
  agentId?: string;
}

/** What the bots need from the channel's options, with defaults already applied. */
export interface TelegramBotsOptions {
  token: string;
  agentTokens: Readonly<Record<string, string>>;
  apiRoot: string;
  chatId: string;
  rateLimits: TelegramRateLimits;
  /** Request timeout of the polling bot (longer than the long poll itself). */
  pollTimeoutSeconds: number;
  /** Request timeout of the bots that send. */
  sendTimeoutSeconds: number;
}

/** One API call, given the chat to address (numeric id or `@username`). */
export type TelegramCall<T> = (chat: number | string) => Promise<T>;

/** The channel's bots and current chat; see `createTelegramBots`. */
export interface TelegramBots {
  /** The chat posted to; changes when the group is migrated to a supergroup. */
  readonly chatId: string;
  /** Every token, so error messages can be scrubbed of them. */
  readonly tokens: readonly string[];
  /** The orchestrator's bot that long-polls (created up front, separate from the sending bots). */
  readonly pollBot: TelegramBot;
  /** The chat id as the Bot API wants it: a number, or `@username` as is. */
  apiChatId(): number | string;
  /** Follows a group migration (logged once per change). */
  switchChat(to: number): void;
  /** The agent's own bot if it has a token, else the orchestrator's sending bot (created on first use). */
  botFor(agentId: string | undefined): TelegramBot;
  /**
   * One call through the bot's limiter; throws grammY's error unchanged so callers can inspect it.
   * A call the group's upgrade to a supergroup turned away is made again in the supergroup, unless
   * it names a message (`namesMessage`, by default an edit, pin or delete): the group's message ids
   * are other messages there, so it fails with a transient ChatError and the caller looks again.
   */
  callRaw<T>(bot: TelegramBot, method: string, fn: TelegramCall<T>, namesMessage?: boolean): Promise<T>;
  /** Like `callRaw`, with failures mapped to `ChatError`. */
  call<T>(bot: TelegramBot, method: string, fn: TelegramCall<T>, namesMessage?: boolean): Promise<T>;
  /** Stops every limiter and closes every socket; sending bots are created afresh afterwards. */
  stop(): Promise<void>;
}

/** Creates the bots; the polling bot exists at once, sending bots on first use. Nothing connects yet. */
export function createTelegramBots(
  options: TelegramBotsOptions,
  deps: { log: Logger; now?: () => number },
): TelegramBots {
  const { log } = deps;
  const { apiRoot } = options;
  const tokens = [options.token, ...Object.values(options.agentTokens)];
  let chatId = options.chatId;
  const bots = new Map<string, TelegramBot>();

  const makeBot = (token: string, timeoutSeconds: number, agentId?: string): TelegramBot => {
    const agent = apiRoot.startsWith('https:')
      ? new HttpsAgent({ keepAlive: true })
      : new HttpAgent({ keepAlive: true });
    // Our own agent (not grammY's shared one) so stop() can close every socket.
    const api = new Api(token, { apiRoot, timeoutSeconds, baseFetchConfig: { agent } });
    const bot: TelegramBot = { api, agent, limiter: createTelegramRateLimiter(options.rateLimits, deps.now) };
    if (agentId !== undefined) bot.agentId = agentId;
    return bot;
  };
  const botFor = (agentId: string | undefined): TelegramBot => {
    const token = agentId === undefined ? undefined : options.agentTokens[agentId];
    const key = token === undefined ? '' : `agent:${agentId}`;
    let bot = bots.get(key);
    if (!bot) {
      bot = makeBot(
        token ?? options.token,
        options.sendTimeoutSeconds,
        token === undefined ? undefined : agentId,
      );
      bots.set(key, bot);
    }
    return bot;
  };
  const pollBot = makeBot(options.token, options.pollTimeoutSeconds);
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

  const callRaw = async <T>(
    bot: TelegramBot,
    method: string,
    fn: TelegramCall<T>,
    namesMessage = NAMES_MESSAGE.test(method),
  ): Promise<T> => {
    for (let attempt = 0; ; attempt++) {
      const chatKey = chatId;
      try {
        return await bot.limiter.schedule(chatKey, () => fn(apiChatId()));
      } catch (err) {
        const migratedTo = migrateToChatIdOf(err);
        if (migratedTo !== undefined && attempt === 0) {
          switchChat(migratedTo);
          if (namesMessage)
            throw new ChatError(
              `Telegram ${method}: the group was upgraded to a supergroup, where the message it names is another one; not repeated there`,
              { permanent: false, retryAfterMs: 0, cause: err },
            );
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
    bot: TelegramBot,
    method: string,
    fn: TelegramCall<T>,
    namesMessage?: boolean,
  ): Promise<T> => {
    try {
      return await callRaw(bot, method, fn, namesMessage);
    } catch (err) {
      throw toChatError(err, method, tokens);
    }
  };

  return {
    get chatId() {
      return chatId;
    },
    tokens,
    pollBot,
    apiChatId,
    switchChat,
    botFor,
    callRaw,
    call,
    async stop() {
      for (const bot of [pollBot, ...bots.values()]) {
        await bot.limiter.stop();
        bot.agent.destroy();
      }
      bots.clear();
    },
  };
}
