/**
 * The fake Discord server's world: one guild with roles, people, bots, text channels, threads and
 * messages, and how Discord computes a member's permissions in a channel. Kept apart from the HTTP
 * and WebSocket plumbing so both read the same state.
 */
import type { FakeButton } from './fake-components.ts';
import { createSnowflakeGenerator } from './snowflake.ts';

/** Permission bits the fake enforces (values from Discord's documentation). */
export const Perm = {
  Administrator: 1n << 3n,
  ViewChannel: 1n << 10n,
  SendMessages: 1n << 11n,
  ManageMessages: 1n << 13n,
  AttachFiles: 1n << 15n,
  ReadMessageHistory: 1n << 16n,
  CreatePublicThreads: 1n << 35n,
  SendMessagesInThreads: 1n << 38n,
  PinMessages: 1n << 51n,
} as const;

/** What @everyone may do unless a test says otherwise: everything the swarm needs. */
export const DEFAULT_EVERYONE_PERMISSIONS =
  Perm.ViewChannel |
  Perm.SendMessages |
  Perm.AttachFiles |
  Perm.ReadMessageHistory |
  Perm.CreatePublicThreads |
  Perm.SendMessagesInThreads |
  Perm.PinMessages;

export const ChannelKind = { GuildText: 0, PublicThread: 11 } as const;

export interface FakeUser {
  id: string;
  username: string;
  bot: boolean;
  roleIds: string[];
}

export interface FakeBot extends FakeUser {
  token: string;
  applicationId: string;
  /** Whether the MessageContent privileged intent is enabled for this bot in the portal. */
  messageContentAllowed: boolean;
  /** False when the bot was invited without the applications.commands scope. */
  commandsScope?: boolean;
}

export interface FakeRole {
  id: string;
  name: string;
  permissions: bigint;
}

export interface FakeOverwrite {
  id: string;
  /** 0 role, 1 member. */
  type: 0 | 1;
  allow: bigint;
  deny: bigint;
}

export interface FakeChannel {
  id: string;
  name: string;
  type: number;
  parentId: string | null;
  overwrites: FakeOverwrite[];
  archived: boolean;
  ownerId: string | null;
  lastMessageId: string | null;
}

export interface FakeAttachment {
  id: string;
  filename: string;
  size: number;
  content: Buffer;
}

export interface FakeMessage {
  id: string;
  channelId: string;
  authorId: string;
  content: string;
  createdAt: number;
  editedAt: number | null;
  /** How many times the message was edited. */
  edits: number;
  nonce: string | null;
  allowedMentions: unknown;
  attachments: FakeAttachment[];
  referenceId: string | null;
  /** Set once a thread has been started on this message (thread id = message id). */
  hasThread: boolean;
  /** Buttons under the message, row by row (see fake-components.ts). */
  components?: FakeButton[][];
}

/** The whole mutable world of one fake server. */
export class FakeDiscordState {
  readonly nextId: () => string;
  readonly guildId: string;
  readonly ownerId: string;
  readonly users = new Map<string, FakeUser | FakeBot>();
  readonly roles = new Map<string, FakeRole>();
  readonly channels = new Map<string, FakeChannel>();
  /** Messages per channel or thread, oldest first. */
  readonly messages = new Map<string, FakeMessage[]>();
  /** Pinned messages per channel, oldest pin first. */
  readonly pins = new Map<string, { messageId: string; pinnedAt: number }[]>();
  /** Origin of the fake's file host: attachment URLs point there (set once the server listens). */
  cdnBase = 'https://cdn.invalid';

  constructor(now: () => number, everyonePermissions: bigint) {
    this.nextId = createSnowflakeGenerator(now);
    this.guildId = this.nextId();
    this.ownerId = this.nextId();
    this.roles.set(this.guildId, { id: this.guildId, name: '@everyone', permissions: everyonePermissions });
  }

  botByToken(token: string): FakeBot | undefined {
    for (const u of this.users.values()) if ('token' in u && u.token === token) return u;
    return undefined;
  }

  bots(): FakeBot[] {
    return [...this.users.values()].filter((u): u is FakeBot => 'token' in u);
  }

  /** An attachment by channel and id, for the fake's file host. */
  findAttachment(channelId: string, attachmentId: string): FakeAttachment | undefined {
    for (const m of this.messages.get(channelId) ?? []) {
      const a = m.attachments.find((x) => x.id === attachmentId);
      if (a) return a;
    }
    return undefined;
  }

  findMessage(channelId: string, messageId: string): FakeMessage | undefined {
    return this.messages.get(channelId)?.find((m) => m.id === messageId);
  }

  /** Discord's permission algorithm: roles, then @everyone, role and member overwrites of the channel. */
  permissionsOf(userId: string, channelId: string): bigint {
    const user = this.users.get(userId);
    const channel = this.channels.get(channelId);
    if (!user || !channel) return 0n;
    if (userId === this.ownerId) return ~0n;
    // A thread's permissions are its parent channel's.
    const source = channel.parentId ? (this.channels.get(channel.parentId) ?? channel) : channel;
    let perms = this.roles.get(this.guildId)?.permissions ?? 0n;
    for (const roleId of user.roleIds) perms |= this.roles.get(roleId)?.permissions ?? 0n;
    if (perms & Perm.Administrator) return ~0n;
    const everyone = source.overwrites.find((o) => o.id === this.guildId);
    if (everyone) perms = (perms & ~everyone.deny) | everyone.allow;
    let allow = 0n;
    let deny = 0n;
    for (const o of source.overwrites) {
      if (o.type === 0 && user.roleIds.includes(o.id)) {
        allow |= o.allow;
        deny |= o.deny;
      }
    }
    perms = (perms & ~deny) | allow;
    const member = source.overwrites.find((o) => o.type === 1 && o.id === userId);
    if (member) perms = (perms & ~member.deny) | member.allow;
    return perms;
  }

  can(userId: string, channelId: string, perm: bigint): boolean {
    return (this.permissionsOf(userId, channelId) & perm) === perm;
  }
}
