/**
 * The Discord chat port. The orchestrator's discord.js client holds the swarm's only gateway
 * connection (intents Guilds, GuildMessages, MessageContent); agents with their own bot token post
 * through a REST client each and never connect to the gateway. After every start, resume and
 * reconnect the channel's and its task threads' history is read to deliver what was missed.
 * @see https://discord.com/developers/docs/events/gateway
 */
import {
  Client,
  Events,
  GatewayDispatchEvents,
  GatewayIntentBits,
  REST,
  type RateLimitData,
  type RESTOptions,
} from 'discord.js';
import type { ChatPort, CursorStore, MessageHandler } from '../../src/chat/chat-port.ts';
import { ChatError, describeError } from '../../src/core/errors.ts';
import type { Logger } from '../../src/core/logger.ts';
import { withDiscordErrorBodies } from './discord-error-bodies.ts';
import { watchGateway } from './discord-gateway-log.ts';
import type { NativeCommand } from '../../src/commands/native-commands.ts';
import { registerAppCommands } from './discord-app-commands.ts';
import { DiscordInbound } from './discord-inbound.ts';
import { DiscordInteractions, type RawInteraction } from './discord-interactions.ts';
import {
  createDiscordLimiter,
  DEFAULT_DISCORD_RATES,
  type DiscordLimiter,
  type DiscordRateOptions,
} from './discord-limiter.ts';
import { DISCORD_MAX_ATTACHMENT_BYTES, DiscordOutbound, type PostingBot } from './discord-outbound.ts';
import { createDiscordCheckpoint } from './discord-checkpoint.ts';
import { createInboundSource } from './discord-inbound-source.ts';
import type { GatewayClose } from './gateway-close-codes.ts';
import { scrubSecrets, toChatError } from './to-chat-error.ts';
import type { RawDiscordMessage } from './to-incoming-message.ts';
import { downloadDiscordAttachment } from './discord-download.ts';

export interface DiscordChannelOptions {
  /** The orchestrator's bot token. */
  token: string;
  /** The guild; read from the channel when omitted. */
  guildId?: string;
  channelId: string;
  /** Bot tokens of agents that post under their own account, by agent id. */
  agentTokens?: Record<string, string>;
  /** REST base URL, e.g. `http://127.0.0.1:PORT/api` for a local fake (discord.js appends /v10). */
  apiBase?: string;
  /** Role ids whose members are admins; when set, authors' roles are looked up for history messages. */
  adminRoleIds?: string[];
  /**
   * Bots whose messages (and edits) are delivered like people's: remote agents to the orchestrator,
   * the orchestrator to a remote agent.
   */
  remoteAgentBotIds?: string[];
  /** Client-side pacing; defaults to Discord's limits with headroom. */
  rates?: Partial<DiscordRateOptions>;
  /** A rate-limit wait longer than this fails the call (transient, with retryAfterMs) instead of blocking. */
  maxRateLimitWaitMs?: number;
  /**
   * Commands for the `/` picker, registered for the guild at start when they changed (needs the
   * `applications.commands` scope); none are registered when omitted. Typed commands work either way.
   */
  nativeCommands?: readonly NativeCommand[];
}

export interface DiscordChannelDeps {
  log: Logger;
  cursors: CursorStore;
  now?: () => number;
}

const DEFAULTS = { maxRateLimitWaitMs: 10_000, catchUpRetryMs: 2_000, requestTimeoutMs: 15_000 } as const;
const INTENTS = [GatewayIntentBits.Guilds, GatewayIntentBits.GuildMessages, GatewayIntentBits.MessageContent];

/** Creates the Discord adapter; nothing connects until `start`. */
export function createDiscordChannel(options: DiscordChannelOptions, deps: DiscordChannelDeps): ChatPort {
  const secrets = [options.token, ...Object.values(options.agentTokens ?? {})];
  const maxWaitMs = options.maxRateLimitWaitMs ?? DEFAULTS.maxRateLimitWaitMs;
  const restOptions: Partial<RESTOptions> = {
    ...(options.apiBase !== undefined ? { api: options.apiBase } : {}),
    timeout: DEFAULTS.requestTimeoutMs,
    makeRequest: withDiscordErrorBodies(),
    // Short waits are sat out by the REST client's buckets; long ones go back to the poster to reschedule.
    rejectOnRateLimit: (data: RateLimitData) => data.retryAfter > maxWaitMs,
  };
  const now = deps.now ?? Date.now;
  let client: Client | undefined;
  let limiter: DiscordLimiter | undefined;
  let outbound: DiscordOutbound | undefined;
  let inbound: DiscordInbound | undefined;
  let retryTimer: NodeJS.Timeout | undefined;
  let stopGatewayWatch: (() => void) | undefined;
  const agentRests = new Map<string, REST>();
  let interactions: DiscordInteractions | undefined;

  /** The `/` commands for the channel's guild, when they changed since the last registration. */
  const registerCommands = async (c: Client, commands: readonly NativeCommand[]): Promise<void> => {
    const channel = c.channels.cache.get(options.channelId);
    const guildId = options.guildId ?? (channel && 'guildId' in channel ? channel.guildId : undefined);
    const applicationId = c.application?.id;
    if (guildId === undefined || applicationId === undefined) {
      deps.log.warn('discord: slash commands not registered: the guild or the application is unknown');
      return;
    }
    await registerAppCommands({
      rest: c.rest,
      applicationId,
      guildId,
      commands,
      cursors: deps.cursors,
      log: deps.log,
      secrets,
    });
  };

  const agentBot = (speaker: string): PostingBot | undefined => {
    const token = options.agentTokens?.[speaker];
    if (token === undefined) return undefined;
    let rest = agentRests.get(speaker);
    if (!rest) {
      rest = new REST(restOptions).setToken(token);
      agentRests.set(speaker, rest);
    }
    return { key: `agent:${speaker}`, rest };
  };

  const catchUp = (): void => {
    clearTimeout(retryTimer);
    inbound?.catchUp().catch((err: unknown) => {
      deps.log.warn('discord: catch-up failed, retrying', {
        error: scrubSecrets(describeError(err), secrets),
      });
      if (inbound) retryTimer = setTimeout(catchUp, DEFAULTS.catchUpRetryMs);
    });
  };

  const checkpoint = createDiscordCheckpoint({
    channelId: options.channelId,
    token: options.token,
    restOptions,
    secrets,
    log: deps.log,
    started: () => (outbound && client ? { outbound, rest: client.rest } : undefined),
  });

  const ready = (): { outbound: DiscordOutbound } => {
    if (!outbound) throw new ChatError('the Discord channel is not started', { permanent: false });
    return { outbound };
  };

  const port: ChatPort = {
    platform: 'discord',
    limits: { maxTextLength: 2_000, maxAttachmentBytes: DISCORD_MAX_ATTACHMENT_BYTES },
    destination: `discord:${options.channelId}`,

    async start(onMessage: MessageHandler) {
      if (client) return;
      // Every close and rejection is logged from the first connection attempt on, with what to do.
      const gateway = watchGateway({ log: deps.log, secrets });
      const c = new Client({
        intents: INTENTS,
        rest: restOptions,
        ws: { buildStrategy: gateway.buildStrategy },
      });
      client = c;
      stopGatewayWatch = gateway.stop;
      c.on(Events.ShardError, gateway.onError);
      limiter = createDiscordLimiter({ ...DEFAULT_DISCORD_RATES, ...options.rates });
      try {
        const readyEvent = new Promise<void>((resolve) => c.once(Events.ClientReady, () => resolve()));
        deps.log.info('discord: connecting to the gateway…');
        gateway.waitingForReady();
        await c.login(options.token);
        await readyEvent;
        gateway.connected();
        const orchestrator: PostingBot = { key: 'orchestrator', rest: c.rest };
        const source = await createInboundSource({
          rest: c.rest,
          limiter,
          channelId: options.channelId,
          guildId: options.guildId,
          adminRoleIds: options.adminRoleIds ?? [],
        });
        const remote = new Set(options.remoteAgentBotIds ?? []);
        const inb = new DiscordInbound(
          options.channelId,
          source,
          {
            cursors: deps.cursors,
            log: deps.log,
            now,
            rules: () => ({ selfId: c.user?.id, remoteAgentBotIds: remote }),
          },
          onMessage,
        );
        inbound = inb;
        outbound = new DiscordOutbound(options.channelId, {
          orchestrator,
          agentBot,
          limiter,
          cursors: deps.cursors,
          secrets,
          onThread: (id) => inb.noteThread(id, options.channelId),
        });
        c.ws.on(
          GatewayDispatchEvents.MessageCreate,
          (data: RawDiscordMessage) => void inb.live(data).catch(() => undefined),
        );
        c.ws.on(
          GatewayDispatchEvents.MessageUpdate,
          (data: RawDiscordMessage) => void inb.liveEdit(data).catch(() => undefined),
        );
        const inter = new DiscordInteractions({
          rest: c.rest,
          channelId: options.channelId,
          log: deps.log,
          secrets,
          onMessage,
        });
        interactions = inter;
        c.ws.on(GatewayDispatchEvents.InteractionCreate, (data: RawInteraction) => void inter.handle(data));
        c.ws.on(GatewayDispatchEvents.ThreadCreate, (data: { id: string; parent_id?: string | null }) =>
          inb.noteThread(data.id, data.parent_id ?? null),
        );
        c.ws.on(
          GatewayDispatchEvents.GuildCreate,
          (data: { threads?: Array<{ id: string; parent_id?: string | null }> }) => {
            for (const t of data.threads ?? []) inb.noteThread(t.id, t.parent_id ?? null);
          },
        );
        c.on(Events.ShardReconnecting, () => inb.markDisconnected());
        c.on(Events.ShardDisconnect, () => inb.markDisconnected());
        c.on(Events.ShardResume, catchUp);
        c.on(Events.ShardReady, catchUp);
        await inb.catchUp();
        if (options.nativeCommands !== undefined) await registerCommands(c, options.nativeCommands);
        deps.log.info('discord: connected', { channelId: options.channelId, bot: c.user?.tag });
      } catch (err) {
        const lastClose = gateway.lastClose();
        await port.stop();
        throw toStartError(err, secrets, lastClose);
      }
    },

    async stop() {
      clearTimeout(retryTimer);
      retryTimer = undefined;
      // Our own closing of the connection is not news.
      stopGatewayWatch?.();
      stopGatewayWatch = undefined;
      inbound?.stop();
      inbound = undefined;
      interactions?.stop();
      interactions = undefined;
      outbound = undefined;
      const c = client;
      client = undefined;
      await c?.destroy();
      await limiter?.stop();
      limiter = undefined;
      for (const rest of agentRests.values()) {
        rest.clearHashSweeper();
        rest.clearHandlerSweeper();
      }
      agentRests.clear();
      checkpoint.stop();
    },

    send: async (message) => ready().outbound.send(message),
    edit: async (target, message) => ready().outbound.edit(target, message),
    closeDetails: async (anchor) => ready().outbound.closeDetails(anchor),
    download: (attachment, maxBytes) => downloadDiscordAttachment(attachment, maxBytes, options.apiBase),
    checkpoint,
  };
  return port;
}

/** Start failures with the fix a person needs: a bad token, a missing intent, or another fatal close. */
function toStartError(
  err: unknown,
  secrets: readonly string[],
  lastClose: GatewayClose | undefined,
): ChatError {
  const code = (err as { code?: unknown }).code;
  if (code === 'TokenInvalid') {
    return new ChatError(
      'Discord rejected the bot token: reset it in the Developer Portal and set DISCORD_BOT_TOKEN',
      { permanent: true, platformCode: 401 },
    );
  }
  if (err instanceof Error && /disallowed intents/i.test(err.message)) {
    return new ChatError(
      'Discord refused the MessageContent intent (close 4014): enable "Message Content Intent" on the Bot page of the Developer Portal',
      {
        permanent: true,
        platformCode: 4014,
      },
    );
  }
  if (lastClose?.fatal) {
    return new ChatError(
      `Discord closed the gateway with ${lastClose.code} (${lastClose.name}): ${lastClose.advice}`,
      { permanent: true, platformCode: lastClose.code },
    );
  }
  return toChatError(err, 'connect', secrets);
}
