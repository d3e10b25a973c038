/**
 * `chat-swarm doctor`'s remote-agent part on Discord: what the other side's bots need for the
 * protocol to reach them. Each is looked up as a member of the channel's server (Get Guild Member,
 * which needs no privileged intent): it must be there, be a bot, and have in the channel what the
 * protocol uses (View Channel, Send Messages, Read Message History, Attach Files). Another
 * application's Message Content intent cannot be read with this bot's token, so that check is left
 * to doctor on that bot's own host, and said so.
 * @see https://discord.com/developers/docs/resources/guild#get-guild-member
 * @see https://discord.com/developers/docs/topics/permissions#permission-overwrites
 */
import { DiscordAPIError, PermissionFlagsBits, REST, Routes } from 'discord.js';
import type { DoctorCheck } from '../../src/chat/doctor-report.ts';
import { describeError } from '../../src/core/errors.ts';
import { computeChannelPermissions } from './channel-permissions.ts';
import { withDiscordErrorBodies } from './discord-error-bodies.ts';
import { scrubSecrets } from './to-chat-error.ts';

/** What a remote agent's bot (and the orchestrator's, seen from an agent) needs in the swarm's channel. */
export const REMOTE_AGENT_PERMISSIONS = [
  { name: 'View Channel', bit: PermissionFlagsBits.ViewChannel },
  { name: 'Send Messages', bit: PermissionFlagsBits.SendMessages },
  { name: 'Read Message History', bit: PermissionFlagsBits.ReadMessageHistory },
  { name: 'Attach Files', bit: PermissionFlagsBits.AttachFiles },
] as const;

export interface DiscordRemotePeer {
  /** How the check names it: `remote agent coder-2`, or `orchestrator`. */
  name: string;
  botUserId: string;
}

export interface DiscordRemoteDoctorOptions {
  /** This side's bot: the orchestrator's, or the remote agent's own. */
  token: string;
  channelId: string;
  guildId?: string;
  apiBase?: string;
  /** The other side's bots: the remote agents, or the orchestrator. */
  peers: DiscordRemotePeer[];
  /** Which side runs doctor (says where the peers' own checks are run). */
  side: 'orchestrator' | 'agent';
}

interface ApiChannel {
  id: string;
  name?: string;
  guild_id?: string;
  permission_overwrites?: Array<{ id: string; type: number; allow: string; deny: string }>;
}

const PORTAL = 'https://discord.com/developers/applications';

/** The remote-agent checks; never throws (a failure becomes a failed or unchecked check). */
export async function diagnoseDiscordRemote(options: DiscordRemoteDoctorOptions): Promise<DoctorCheck[]> {
  const rest = new REST({
    ...(options.apiBase !== undefined ? { api: options.apiBase } : {}),
    retries: 1,
    timeout: 10_000,
    makeRequest: withDiscordErrorBodies(),
  }).setToken(options.token);
  const say = (text: string): string => scrubSecrets(text, [options.token]);
  const checks: DoctorCheck[] = [];
  try {
    let channel: ApiChannel;
    let guild: { owner_id: string; roles: Array<{ id: string; permissions: string }> };
    let guildId: string;
    try {
      channel = (await rest.get(Routes.channel(options.channelId))) as ApiChannel;
      const id = options.guildId ?? channel.guild_id;
      if (id === undefined) throw new Error(`channel ${options.channelId} is not in a server`);
      guildId = id;
      guild = (await rest.get(Routes.guild(guildId))) as typeof guild;
    } catch (err) {
      // The channel checks above say what is wrong with the channel itself.
      for (const peer of options.peers)
        checks.push({
          name: `remote: ${peer.name}`,
          ok: false,
          unchecked: true,
          detail: say(`unchecked: the channel's server could not be read (${describeError(err)})`),
        });
      return checks;
    }
    for (const peer of options.peers) checks.push(await checkPeer(rest, peer, channel, guildId, guild, say));
    checks.push(intentCheck(options));
    return checks;
  } finally {
    rest.clearHashSweeper();
    rest.clearHandlerSweeper();
  }
}

async function checkPeer(
  rest: REST,
  peer: DiscordRemotePeer,
  channel: ApiChannel,
  guildId: string,
  guild: { owner_id: string; roles: Array<{ id: string; permissions: string }> },
  say: (t: string) => string,
): Promise<DoctorCheck> {
  const name = `remote: ${peer.name}`;
  let member: { user?: { id: string; username: string; bot?: boolean }; roles: string[] };
  try {
    member = (await rest.get(Routes.guildMember(guildId, peer.botUserId))) as typeof member;
  } catch (err) {
    if (err instanceof DiscordAPIError && (err.code === 10007 || err.code === 10013 || err.status === 404))
      return {
        name,
        ok: false,
        detail: `user ${peer.botUserId} is not a member of the server`,
        fix: `Invite the ${peer.name} bot to the server (OAuth2 URL with scope "bot"), and check its user id (Developer Mode → right-click the bot → Copy User ID).`,
      };
    return { name, ok: false, unchecked: true, detail: say(`unchecked: ${describeError(err)}`) };
  }
  const who = member.user ? `${member.user.username} (${peer.botUserId})` : peer.botUserId;
  if (member.user?.bot !== true)
    return {
      name,
      ok: false,
      detail: `${who} is a person, not a bot: the orchestrator reads protocol messages only from the configured bots`,
      fix: `Use the user id of the ${peer.name}'s bot (Developer Portal → the application → Bot; or right-click the bot in the member list → Copy User ID).`,
    };
  const perms = computeChannelPermissions({
    guildId,
    ownerId: guild.owner_id,
    userId: peer.botUserId,
    memberRoleIds: member.roles,
    roles: guild.roles,
    overwrites: channel.permission_overwrites ?? [],
  });
  const missing = REMOTE_AGENT_PERMISSIONS.filter((p) => (perms & p.bit) !== p.bit).map((p) => p.name);
  if (missing.length > 0)
    return {
      name,
      ok: false,
      detail: `${who} lacks ${missing.join(', ')} in #${channel.name ?? channel.id}`,
      fix: `Give the bot (or its role) ${missing.join(', ')} in the channel's Permissions settings.`,
    };
  return {
    name,
    ok: true,
    detail: `${who} is a bot in the server, with ${REMOTE_AGENT_PERMISSIONS.map((p) => p.name).join(', ')} in #${channel.name ?? channel.id}`,
  };
}

/** The peers' Message Content intent: only each bot's own token can read it, on its own host. */
function intentCheck(options: DiscordRemoteDoctorOptions): DoctorCheck {
  const where =
    options.side === 'orchestrator'
      ? "run doctor on each remote agent's host: it reads its own bot's setting"
      : "doctor on the orchestrator's host reads the orchestrator bot's setting";
  return {
    name: 'remote: Message Content intent of the other bots',
    ok: false,
    unchecked: true,
    // Shown with its fix, but it cannot fail the report: this bot cannot see it either way.
    warning: true,
    detail: `another application's intent cannot be read with this bot's token; ${where}`,
    fix: `In ${PORTAL} → each bot's application → Bot → Privileged Gateway Intents, turn on Message Content Intent: without it a bot reads the others' protocol messages as empty text.`,
  };
}
