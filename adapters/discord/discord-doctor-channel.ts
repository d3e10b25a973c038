/**
 * `chat-swarm doctor`'s checks of the swarm's Discord channel: that it is a text channel the bot
 * can see, and that the bot holds each permission it needs there (computed from the guild's roles
 * and the channel's overwrites).
 */
import { DiscordAPIError, Routes, type REST } from 'discord.js';
import type { DoctorCheck } from '../../src/chat/doctor-report.ts';
import { computeChannelPermissions, INVITE_PERMISSIONS } from './channel-permissions.ts';
import { unchecked, type DoctorFailure } from './discord-doctor-failure.ts';

const TEXT_CHANNEL_TYPES = new Set([0, 5]);

/** A channel as the REST API returns it, as far as doctor reads it. */
export interface ApiChannel {
  id: string;
  type: number;
  name?: string;
  guild_id?: string;
  permission_overwrites?: Array<{ id: string; type: number; allow: string; deny: string }>;
}

/** The permissions the bot must hold, and those it can run without (with what is lost). */
export interface PermissionNeeds {
  required: ReadonlyArray<{ name: string; bit: bigint }>;
  wanted: ReadonlyArray<{ name: string; bit: bigint; without: string }>;
}

/** Checks the channel exists and is a text channel; returns it when it is. */
export async function checkChannel(
  rest: REST,
  channelId: string,
  checks: DoctorCheck[],
  fail: (err: unknown, action: string) => DoctorFailure,
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

/** Adds one check per needed permission: whether the bot holds it in the channel. */
export async function checkPermissions(
  rest: REST,
  botId: string,
  channel: ApiChannel,
  guildId: string | undefined,
  checks: DoctorCheck[],
  fail: (err: unknown, action: string) => DoctorFailure,
  needs: PermissionNeeds,
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
