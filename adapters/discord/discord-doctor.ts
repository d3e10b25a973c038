/**
 * `chat-swarm doctor` for Discord: checks the bot token, the MessageContent intent (the
 * application's flags, then a real gateway login that Discord closes with 4014 if the intent is
 * off), the channel, and each permission the bot needs there, with the fix for every problem.
 */
import { Client, DiscordAPIError, GatewayIntentBits, REST, Routes, type RESTOptions } from 'discord.js';
import type { DoctorCheck, DoctorReport } from '../../src/chat/doctor-report.ts';
import type { Logger } from '../../src/core/logger.ts';
import {
  computeChannelPermissions,
  INVITE_PERMISSIONS,
  REQUIRED_PERMISSIONS,
} from './channel-permissions.ts';
import { scrubSecrets } from './to-chat-error.ts';

export interface DiscordDoctorOptions {
  token: string;
  channelId: string;
  guildId?: string;
  apiBase?: string;
  /** Also log in to the gateway with the swarm's intents (default true). */
  probeGateway?: boolean;
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

export async function diagnoseDiscord(
  options: DiscordDoctorOptions,
  deps: { log: Logger },
): Promise<DoctorReport> {
  const checks: DoctorCheck[] = [];
  const restOptions: Partial<RESTOptions> = {
    ...(options.apiBase !== undefined ? { api: options.apiBase } : {}),
    retries: 1,
    timeout: 10_000,
  };
  const rest = new REST(restOptions).setToken(options.token);
  const say = (text: string): string => scrubSecrets(text, [options.token]);
  try {
    let me: { id: string; username: string };
    try {
      me = (await rest.get(Routes.user('@me'))) as typeof me;
      checks.push({ name: 'bot token', ok: true, detail: `valid, the bot is ${me.username} (${me.id})` });
    } catch (err) {
      const rejected = err instanceof DiscordAPIError && err.status === 401;
      checks.push({
        name: 'bot token',
        ok: false,
        detail: say(
          rejected ? 'Discord rejected the token (401)' : `could not reach Discord: ${describe(err)}`,
        ),
        fix: rejected
          ? `Reset the token on the Bot page of your application (${PORTAL}) and put it in DISCORD_BOT_TOKEN`
          : 'Check the network connection to discord.com and try again',
      });
      return { platform: 'discord', checks };
    }

    const app = (await rest.get(Routes.currentApplication()).catch(() => undefined)) as
      { flags?: number } | undefined;
    const intentOn = app?.flags !== undefined && (app.flags & MESSAGE_CONTENT_FLAGS) !== 0;
    checks.push({
      name: 'message content intent',
      ok: intentOn,
      detail:
        app === undefined
          ? 'could not read the application settings'
          : intentOn
            ? 'enabled'
            : 'not enabled: the bot would read commands as empty text',
      ...(intentOn
        ? {}
        : {
            fix: `In ${PORTAL} → your application → Bot → Privileged Gateway Intents, turn on Message Content Intent`,
          }),
    });

    const channel = await checkChannel(rest, options.channelId, checks, say);
    if (channel)
      await checkPermissions(rest, me.id, channel, options.guildId ?? channel.guild_id, checks, say);
    if (options.probeGateway ?? true) checks.push(await probeGateway(options.token, restOptions, say));
    return { platform: 'discord', checks };
  } finally {
    rest.clearHashSweeper();
    rest.clearHandlerSweeper();
    deps.log.debug('discord doctor finished', { checks: checks.length });
  }
}

async function checkChannel(
  rest: REST,
  channelId: string,
  checks: DoctorCheck[],
  say: (t: string) => string,
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
    const code = err instanceof DiscordAPIError ? err.code : undefined;
    const fix =
      code === 10003
        ? 'Check the channel id: turn on Developer Mode (User Settings → Advanced), right-click the channel, Copy Channel ID'
        : code === 50001
          ? `The bot cannot see the channel: invite it to the server (see docs/discord.md) and allow View Channel there`
          : 'Check the network connection to discord.com and try again';
    checks.push({
      name: 'channel',
      ok: false,
      detail: say(`cannot read channel ${channelId}: ${describe(err)}`),
      fix,
    });
    return undefined;
  }
}

async function checkPermissions(
  rest: REST,
  botId: string,
  channel: ApiChannel,
  guildId: string | undefined,
  checks: DoctorCheck[],
  say: (t: string) => string,
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
    for (const p of REQUIRED_PERMISSIONS) {
      const ok = (perms & p.bit) === p.bit;
      checks.push({
        name: `permission: ${p.name}`,
        ok,
        detail: ok ? 'granted' : `missing in #${channel.name ?? channel.id}`,
        ...(ok
          ? {}
          : {
              fix: `Give the bot's role ${p.name} in the channel's Permissions settings, or re-invite it with permissions=${INVITE_PERMISSIONS}`,
            }),
      });
    }
  } catch (err) {
    checks.push({
      name: 'permissions',
      ok: false,
      detail: say(`could not read the bot's roles: ${describe(err)}`),
      fix: 'Check that the bot is a member of the server',
    });
  }
}

/** Logs in with the swarm's intents; Discord closes the gateway with 4014 when MessageContent is off. */
async function probeGateway(
  token: string,
  rest: Partial<RESTOptions>,
  say: (t: string) => string,
): Promise<DoctorCheck> {
  const client = new Client({
    intents: [GatewayIntentBits.Guilds, GatewayIntentBits.GuildMessages, GatewayIntentBits.MessageContent],
    rest,
  });
  try {
    await client.login(token);
    return {
      name: 'gateway login',
      ok: true,
      detail: 'connected with intents Guilds, GuildMessages, MessageContent',
    };
  } catch (err) {
    const disallowed = err instanceof Error && /disallowed intents/i.test(err.message);
    return {
      name: 'gateway login',
      ok: false,
      detail: say(
        disallowed ? 'Discord closed the gateway with 4014 (disallowed intents)' : `failed: ${describe(err)}`,
      ),
      fix: disallowed
        ? `In ${PORTAL} → your application → Bot, turn on Message Content Intent`
        : 'Check the network connection to discord.com and try again',
    };
  } finally {
    await client.destroy();
  }
}

function describe(err: unknown): string {
  if (err instanceof DiscordAPIError) return `${err.message} (code ${err.code})`;
  return err instanceof Error ? err.message : String(err);
}
