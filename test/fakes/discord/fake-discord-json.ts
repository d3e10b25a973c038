/**
 * The fake's state rendered as Discord API JSON (REST bodies and gateway dispatch payloads), with
 * the fields discord.js reads. Message content is blanked for a reader that lacks MessageContent,
 * as Discord does, unless the reader wrote the message.
 */
import type {
  FakeBot,
  FakeChannel,
  FakeDiscordState,
  FakeMessage,
  FakeRole,
  FakeUser,
} from './fake-discord-state.ts';
import { toApiComponents } from './fake-components.ts';
import { snowflakeTime } from './snowflake.ts';

export function toApiUser(user: FakeUser): Record<string, unknown> {
  return {
    id: user.id,
    username: user.username,
    global_name: user.bot ? null : user.username,
    discriminator: '0',
    avatar: null,
    bot: user.bot,
  };
}

export function toApiRole(role: FakeRole, position: number): Record<string, unknown> {
  return {
    id: role.id,
    name: role.name,
    permissions: role.permissions.toString(),
    position,
    color: 0,
    hoist: false,
    managed: false,
    mentionable: false,
    flags: 0,
  };
}

export function toApiMember(user: FakeUser): Record<string, unknown> {
  return {
    user: toApiUser(user),
    roles: user.roleIds,
    joined_at: new Date(snowflakeTime(user.id)).toISOString(),
    deaf: false,
    mute: false,
    flags: 0,
    nick: null,
  };
}

export function toApiChannel(state: FakeDiscordState, channel: FakeChannel): Record<string, unknown> {
  const base = {
    id: channel.id,
    type: channel.type,
    guild_id: state.guildId,
    name: channel.name,
    last_message_id: channel.lastMessageId,
    rate_limit_per_user: 0,
    flags: 0,
  };
  if (channel.parentId) {
    const count = state.messages.get(channel.id)?.length ?? 0;
    return {
      ...base,
      parent_id: channel.parentId,
      owner_id: channel.ownerId,
      message_count: count,
      total_message_sent: count,
      member_count: 1,
      thread_metadata: {
        archived: channel.archived,
        auto_archive_duration: 10_080,
        archive_timestamp: new Date().toISOString(),
        locked: false,
      },
    };
  }
  return {
    ...base,
    parent_id: null,
    position: 0,
    nsfw: false,
    topic: null,
    permission_overwrites: channel.overwrites.map((o) => ({
      id: o.id,
      type: o.type,
      allow: o.allow.toString(),
      deny: o.deny.toString(),
    })),
  };
}

/** A message as `reader` sees it; `withGuild` adds the gateway-only guild_id and member fields. */
export function toApiMessage(
  state: FakeDiscordState,
  message: FakeMessage,
  reader: FakeBot | undefined,
  withGuild: boolean,
): Record<string, unknown> {
  const author = state.users.get(message.authorId);
  const hidden = reader !== undefined && !reader.messageContentAllowed && reader.id !== message.authorId;
  const referenced = message.referenceId
    ? state.findMessage(message.channelId, message.referenceId)
    : undefined;
  const json: Record<string, unknown> = {
    id: message.id,
    channel_id: message.channelId,
    type: message.referenceId ? 19 : 0,
    author: author ? toApiUser(author) : { id: message.authorId, username: 'unknown', discriminator: '0' },
    content: hidden ? '' : message.content,
    timestamp: new Date(message.createdAt).toISOString(),
    edited_timestamp: message.editedAt === null ? null : new Date(message.editedAt).toISOString(),
    tts: false,
    mention_everyone: false,
    mentions: [],
    mention_roles: [],
    attachments: hidden
      ? []
      : message.attachments.map((a) => ({
          id: a.id,
          filename: a.filename,
          size: a.size,
          // Served by the fake itself (its "CDN"), so a client can download what a bot attached.
          url: `${state.cdnBase}/attachments/${message.channelId}/${a.id}/${encodeURIComponent(a.filename)}`,
          proxy_url: `${state.cdnBase}/attachments/${message.channelId}/${a.id}/${encodeURIComponent(a.filename)}`,
        })),
    embeds: [],
    components: toApiComponents(message.components ?? []),
    pinned: state.pins.get(message.channelId)?.some((p) => p.messageId === message.id) ?? false,
    flags: message.hasThread ? 1 << 5 : 0,
  };
  if (message.nonce !== null) json.nonce = message.nonce;
  if (message.referenceId) {
    json.message_reference = {
      type: 0,
      message_id: message.referenceId,
      channel_id: message.channelId,
      guild_id: state.guildId,
    };
    json.referenced_message = referenced ? toApiMessage(state, referenced, reader, false) : null;
  }
  if (withGuild) {
    json.guild_id = state.guildId;
    if (author) json.member = { ...toApiMember(author), user: undefined };
  }
  return json;
}

/** GUILD_CREATE as sent right after READY: the guild with its channels, active threads, roles and members. */
export function toGuildCreate(state: FakeDiscordState): Record<string, unknown> {
  const channels = [...state.channels.values()];
  return {
    id: state.guildId,
    name: 'Fake Guild',
    icon: null,
    owner_id: state.ownerId,
    unavailable: false,
    member_count: state.users.size,
    large: false,
    joined_at: new Date().toISOString(),
    features: [],
    emojis: [],
    stickers: [],
    roles: [...state.roles.values()].map((r, i) => toApiRole(r, i)),
    members: [...state.users.values()].map(toApiMember),
    channels: channels.filter((c) => c.parentId === null).map((c) => toApiChannel(state, c)),
    threads: channels.filter((c) => c.parentId !== null && !c.archived).map((c) => toApiChannel(state, c)),
    presences: [],
    voice_states: [],
    stage_instances: [],
    guild_scheduled_events: [],
    soundboard_sounds: [],
    premium_tier: 0,
    preferred_locale: 'en-US',
    system_channel_flags: 0,
    verification_level: 0,
    default_message_notifications: 0,
    explicit_content_filter: 0,
    mfa_level: 0,
    nsfw_level: 0,
  };
}
