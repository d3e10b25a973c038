/**
 * `chat-swarm doctor` for Discord: checks the bot token, the MessageContent intent (the
 * application's flags, then a real gateway login that Discord closes with 4014 if the intent is
 * off), the channel, and each permission the bot needs there, with the fix for every problem. A
 * failure is blamed on what caused it: the token, a refusal, Discord's own server error (with its
 * status), or the network; what could not be checked is marked unchecked.
 */
import {
  Client,
  DiscordAPIError,
  Events,
  GatewayIntentBits,
  HTTPError,
  REST,
  Routes,
  type RESTOptions,
} from 'discord.js';
import type { DoctorCheck, DoctorReport } from '../../src/chat/doctor-report.ts';
import type { Logger } from '../../src/core/logger.ts';
import {
  computeChannelPermissions,
  INVITE_PERMISSIONS,
  REQUIRED_PERMISSIONS,
  WANTED_PERMISSIONS,
} from './channel-permissions.ts';
import { checkCommandsScope } from './discord-doctor-commands.ts';
import { REMOTE_AGENT_PERMISSIONS } from './discord-remote-doctor.ts';
import { withDiscordErrorBodies } from './discord-error-bodies.ts';
import { watchGateway } from './discord-gateway-log.ts';
import { scrubSecrets, toChatError } from './to-chat-error.ts';

export interface DiscordDoctorOptions {
  token: string;
  channelId: string;
  guildId?: string;
  apiBase?: string;
  /** Also log in to the gateway with the swarm's intents (default true). */
  probeGateway?: boolean;
  /** How long the gateway login may take before doctor gives up on it. */
  gatewayTimeoutMs?: number;
  /**
   * A remote agent's own bot: it needs only what the protocol uses in the channel (no threads, no
   * pins, no slash commands).
   */
  remoteAgent?: boolean;
}

export const DEFAULT_DISCORD_DOCTOR = { requestTimeoutMs: 10_000, gatewayTimeoutMs: 20_000 } as const;

/** Why a call failed, as doctor tells it. */
interface Failure {
  kind: 'token' | 'refused' | 'server' | 'network';
  detail: string;
  fix: string;
}

/** Application flags that mean the MessageContent intent is enabled (verified or not). */
const MESSAGE_CONTENT_FLAGS = (1 << 18) | (1 << 19);
const PORTAL = 'https://discord.com/developers/applications';
const TEXT_CHANNEL_TYPES = new Set([0, 5]);

interface ApiChannel {
  id: string;
  type: number;
  name?: string;
  guild_id?: string;
  permission_overwrites?: Array<{ id: string; type: number; allow: string; deny: string }>;
}

/** Runs every check; never throws for a platform problem (it becomes a failed or unchecked check). */
export async function diagnoseDiscord(
  options: DiscordDoctorOptions,
  deps: { log: Logger },
): Promise<DoctorReport> {
  const checks: DoctorCheck[] = [];
  const restOptions: Partial<RESTOptions> = {
    ...(options.apiBase !== undefined ? { api: options.apiBase } : {}),
    retries: 1,
    timeout: DEFAULT_DISCORD_DOCTOR.requestTimeoutMs,
    makeRequest: withDiscordErrorBodies(),
  };
  const rest = new REST(restOptions).setToken(options.token);
  const say = (text: string): string => scrubSecrets(text, [options.token]);
  const host = hostOf(options.apiBase);
  const fail = (err: unknown, action: string): Failure => classify(err, action, host, say);
  try {
    deps.log.info(`Discord doctor: asking ${host} about the bot…`);
    let me: { id: string; username: string };
    try {
      me = (await rest.get(Routes.user('@me'))) as typeof me;
      checks.push({ name: 'bot token', ok: true, detail: `valid, the bot is ${me.username} (${me.id})` });
    } catch (err) {
      const failure = fail(err, 'read the bot user');
      if (failure.kind === 'token' || failure.kind === 'refused') {
        checks.push({ name: 'bot token', ok: false, detail: failure.detail, fix: failure.fix });
      } else {
        checks.push({
          name: failure.kind === 'network' ? 'network' : 'Discord API',
          ok: false,
          detail: failure.detail,
          fix: failure.fix,
        });
        checks.push(unchecked('bot token', `${host} could not be asked`));
      }
      return { platform: 'discord', checks };
    }

    checks.push(await checkIntentFlag(rest, fail));
    const channel = await checkChannel(rest, options.channelId, checks, fail);
    const needs = options.remoteAgent
      ? { required: REMOTE_AGENT_PERMISSIONS, wanted: [] }
      : { required: REQUIRED_PERMISSIONS, wanted: WANTED_PERMISSIONS };
    if (channel)
      await checkPermissions(rest, me.id, channel, options.guildId ?? channel.guild_id, checks, fail, needs);
    const guildId = options.guildId ?? channel?.guild_id;
    if (guildId !== undefined && !options.remoteAgent)
      checks.push(await checkCommandsScope(rest, guildId, say));
    if (options.probeGateway ?? true) {
      deps.log.info("Discord doctor: logging in to the gateway with the swarm's intents…");
      checks.push(await probeGateway(options, restOptions, say, deps.log));
    }
    return { platform: 'discord', checks };
  } finally {
    rest.clearHashSweeper();
    rest.clearHandlerSweeper();
    deps.log.debug('discord doctor finished', { checks: checks.length });
  }
}

/** Whether the application has the MessageContent intent switched on (its flags). */
async function checkIntentFlag(
  rest: REST,
  fail: (err: unknown, action: string) => Failure,
): Promise<DoctorCheck> {
  const name = 'message content intent';
  let app: { flags?: number };
  try {
    app = (await rest.get(Routes.currentApplication())) as { flags?: number };
  } catch (err) {
    const failure = fail(err, 'read the application settings');
    return failure.kind === 'refused'
      ? { name, ok: false, detail: failure.detail, fix: failure.fix }
      : unchecked(name, failure.detail);
  }
  const intentOn = app.flags !== undefined && (app.flags & MESSAGE_CONTENT_FLAGS) !== 0;
  return intentOn
    ? { name, ok: true, detail: 'enabled' }
    : {
        name,
        ok: false,
        detail: 'not enabled: the bot would read commands as empty text',
        fix: `In ${PORTAL} → your application → Bot → Privileged Gateway Intents, turn on Message Content Intent`,
      };
}

async function checkChannel(
  rest: REST,
  channelId: string,
  checks: DoctorCheck[],
  fail: (err: unknown, action: string) => Failure,
): Promise<ApiChannel | undefined> {
  try {
    const channel = (await rest.get(Routes.channel(channelId))) as ApiChannel;
    const isText = TEXT_CHANNEL_TYPES.has(channel.type);
    checks.push({
      name: 'channel',
      ok: isText,
      detail: isText
        ? `#${channel.name ?? channel.id} is a text channel`
        : `channel ${channelId} is not a text channel (type ${channel.type})`,
      ...(isText
        ? {}
        : {
            fix: 'Use the id of a text channel (Developer Mode on, right-click the channel, Copy Channel ID)',
          }),
    });
    return isText ? channel : undefined;
  } catch (err) {
    const failure = fail(err, `read channel ${channelId}`);
    if (failure.kind === 'network' || failure.kind === 'server') {
      checks.push(unchecked('channel', failure.detail));
      return undefined;
    }
    const code = err instanceof DiscordAPIError ? err.code : undefined;
    const fix =
      code === 10003
        ? 'Check the channel id: turn on Developer Mode (User Settings → Advanced), right-click the channel, Copy Channel ID'
        : code === 50001
          ? `The bot cannot see the channel: invite it to the server (see docs/discord.md) and allow View Channel there`
          : failure.fix;
    checks.push({ name: 'channel', ok: false, detail: failure.detail, fix });
    return undefined;
  }
}

async function checkPermissions(
  rest: REST,
  botId: string,
  channel: ApiChannel,
  guildId: string | undefined,
  checks: DoctorCheck[],
  fail: (err: unknown, action: string) => Failure,
  needs: {
    required: ReadonlyArray<{ name: string; bit: bigint }>;
    wanted: ReadonlyArray<{ name: string; bit: bigint; without: string }>;
  },
): Promise<void> {
  if (guildId === undefined) return;
  try {
    const guild = (await rest.get(Routes.guild(guildId))) as {
      owner_id: string;
      roles: Array<{ id: string; permissions: string }>;
    };
    const member = (await rest.get(Routes.guildMember(guildId, botId))) as { roles: string[] };
    const perms = computeChannelPermissions({
      guildId,
      ownerId: guild.owner_id,
      userId: botId,
      memberRoleIds: member.roles,
      roles: guild.roles,
      overwrites: channel.permission_overwrites ?? [],
    });
    // What the swarm can run without is a warning, with the same fix in the same place.
    const all = [
      ...needs.required.map((p) => ({ ...p, warning: false, without: '' })),
      ...needs.wanted.map((p) => ({ ...p, warning: true, without: `: ${p.without}` })),
    ];
    for (const p of all) {
      const ok = (perms & p.bit) === p.bit;
      checks.push({
        name: `permission: ${p.name}`,
        ok,
        detail: ok ? 'granted' : `missing in #${channel.name ?? channel.id}${p.without}`,
        ...(ok
          ? {}
          : {
              ...(p.warning ? { warning: true } : {}),
              fix: `Give the bot's role ${p.name} in the channel's Permissions settings, or re-invite it with permissions=${INVITE_PERMISSIONS}`,
            }),
      });
    }
  } catch (err) {
    const failure = fail(err, "read the bot's roles");
    checks.push(
      failure.kind === 'network' || failure.kind === 'server'
        ? unchecked('permissions', failure.detail)
        : {
            name: 'permissions',
            ok: false,
            detail: failure.detail,
            fix: 'Check that the bot is a member of the server',
          },
    );
  }
}

/**
 * Logs in with the swarm's intents; Discord closes the gateway with 4014 when MessageContent is off.
 * Gives up after `gatewayTimeoutMs` (discord.js would keep retrying a gateway that turns it away),
 * saying what the gateway last did.
 */
async function probeGateway(
  options: DiscordDoctorOptions,
  rest: Partial<RESTOptions>,
  say: (t: string) => string,
  log: Logger,
): Promise<DoctorCheck> {
  const gateway = watchGateway({ log, secrets: [options.token] });
  const client = new Client({
    intents: [GatewayIntentBits.Guilds, GatewayIntentBits.GuildMessages, GatewayIntentBits.MessageContent],
    rest,
    ws: { buildStrategy: gateway.buildStrategy },
  });
  client.on(Events.ShardError, gateway.onError);
  const timeoutMs = options.gatewayTimeoutMs ?? DEFAULT_DISCORD_DOCTOR.gatewayTimeoutMs;
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), timeoutMs);
  });
  const closeText = (): string => {
    const last = gateway.lastClose();
    return last ? `; last close ${last.code} (${last.name}): ${last.advice}` : '';
  };
  try {
    const outcome = await Promise.race([client.login(options.token).then(() => 'ready' as const), timedOut]);
    if (outcome === 'timeout') {
      return {
        name: 'gateway login',
        ok: false,
        detail: say(`no connection to the gateway within ${Math.round(timeoutMs / 1_000)} s${closeText()}`),
        fix: 'Check that this machine can open a WebSocket to gateway.discord.gg (proxy, firewall), and https://discordstatus.com',
      };
    }
    return {
      name: 'gateway login',
      ok: true,
      detail: 'connected with intents Guilds, GuildMessages, MessageContent',
    };
  } catch (err) {
    const last = gateway.lastClose();
    const disallowed =
      last?.code === 4014 || (err instanceof Error && /disallowed intents/i.test(err.message));
    if (disallowed) {
      return {
        name: 'gateway login',
        ok: false,
        detail: 'Discord closed the gateway with 4014 (disallowed intents)',
        fix: `In ${PORTAL} → your application → Bot, turn on Message Content Intent`,
      };
    }
    if (last?.fatal) {
      return {
        name: 'gateway login',
        ok: false,
        detail: `Discord closed the gateway with ${last.code} (${last.name})`,
        fix: last.advice,
      };
    }
    const failure = classify(err, 'log in to the gateway', hostOf(options.apiBase), say);
    return { name: 'gateway login', ok: false, detail: failure.detail, fix: failure.fix };
  } finally {
    clearTimeout(timer);
    gateway.stop();
    await client.destroy();
  }
}

/** Tells the token, a refusal, Discord's server error and the network apart, each with its fix. */
function classify(err: unknown, action: string, host: string, say: (t: string) => string): Failure {
  if (err instanceof DiscordAPIError && err.status === 401) {
    return {
      kind: 'token',
      detail: say('Discord rejected the token (401)'),
      fix: `Reset the token on the Bot page of your application (${PORTAL}) and put it in DISCORD_BOT_TOKEN`,
    };
  }
  if (err instanceof DiscordAPIError && err.status !== 429 && err.status < 500) {
    return {
      kind: 'refused',
      detail: say(
        `Discord refused to ${action}: ${err.message} (HTTP ${err.status}, code ${String(err.code)})`,
      ),
      fix: "Check the bot's invitation, permissions and the ids in the config (docs/discord.md lists what the bot needs)",
    };
  }
  if (err instanceof HTTPError || err instanceof DiscordAPIError) {
    return {
      kind: 'server',
      detail: say(
        `Discord answered with a server error when asked to ${action}: HTTP ${err.status} ${err.message}`.trim(),
      ),
      fix: `That is on Discord's side (or a proxy in front of ${host}): check https://discordstatus.com and try again in a few minutes`,
    };
  }
  const reason = toChatError(err, action, []).message.replace(/^Discord .*? failed: /, '');
  return {
    kind: 'network',
    detail: say(`could not reach ${host} to ${action}: ${reason}`),
    fix: `Check this machine's connection, DNS and proxy settings for ${host}, then run doctor again`,
  };
}

function unchecked(name: string, why: string): DoctorCheck {
  return { name, ok: false, unchecked: true, detail: `unchecked: ${why}` };
}

/** The host of the REST base, for messages about the network. */
function hostOf(apiBase: string | undefined): string {
  if (apiBase === undefined) return 'discord.com';
  try {
    return new URL(apiBase).host;
  } catch {
    return apiBase;
  }
}
