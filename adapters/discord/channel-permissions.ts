/**
 * Discord's permission calculation for a member in a channel: @everyone and the member's roles,
 * Administrator or ownership grants everything, then the channel's @everyone, role and member
 * overwrites in that order.
 * @see https://discord.com/developers/docs/topics/permissions#permission-overwrites
 */
import { PermissionFlagsBits } from 'discord.js';

export interface PermissionInput {
  guildId: string;
  ownerId: string;
  userId: string;
  memberRoleIds: readonly string[];
  roles: ReadonlyArray<{ id: string; permissions: string }>;
  overwrites: ReadonlyArray<{ id: string; type: number; allow: string; deny: string }>;
}

const ALL = (1n << 64n) - 1n;

export function computeChannelPermissions(input: PermissionInput): bigint {
  if (input.userId === input.ownerId) return ALL;
  const roleBits = new Map(input.roles.map((r) => [r.id, BigInt(r.permissions)]));
  let perms = roleBits.get(input.guildId) ?? 0n;
  for (const id of input.memberRoleIds) perms |= roleBits.get(id) ?? 0n;
  if (perms & PermissionFlagsBits.Administrator) return ALL;
  const everyone = input.overwrites.find((o) => o.id === input.guildId);
  if (everyone) perms = (perms & ~BigInt(everyone.deny)) | BigInt(everyone.allow);
  let allow = 0n;
  let deny = 0n;
  for (const o of input.overwrites) {
    if (o.type === 0 && o.id !== input.guildId && input.memberRoleIds.includes(o.id)) {
      allow |= BigInt(o.allow);
      deny |= BigInt(o.deny);
    }
  }
  perms = (perms & ~deny) | allow;
  const member = input.overwrites.find((o) => o.type === 1 && o.id === input.userId);
  if (member) perms = (perms & ~BigInt(member.deny)) | BigInt(member.allow);
  return perms;
}

/** What the swarm's bot needs in its channel, with the name Discord's settings show. */
export const REQUIRED_PERMISSIONS = [
  { name: 'View Channel', bit: PermissionFlagsBits.ViewChannel },
  { name: 'Send Messages', bit: PermissionFlagsBits.SendMessages },
  { name: 'Send Messages in Threads', bit: PermissionFlagsBits.SendMessagesInThreads },
  { name: 'Create Public Threads', bit: PermissionFlagsBits.CreatePublicThreads },
  { name: 'Read Message History', bit: PermissionFlagsBits.ReadMessageHistory },
  { name: 'Attach Files', bit: PermissionFlagsBits.AttachFiles },
] as const;

/**
 * What the swarm can run without, with what is lost: the ledger checkpoint is a pinned message
 * (`audit --channel`), and since Discord split Pin Messages from Manage Messages only that bit pins.
 * @see https://discord.com/developers/docs/topics/permissions#permissions-bitwise-permission-flags
 */
export const WANTED_PERMISSIONS = [
  {
    name: 'Pin Messages',
    bit: PermissionFlagsBits.PinMessages,
    without: 'the ledger checkpoint cannot be pinned, so `audit --channel` has nothing to compare',
  },
] as const;

/** The permissions integer for the invite URL: everything in REQUIRED_PERMISSIONS and WANTED_PERMISSIONS. */
export const INVITE_PERMISSIONS = [...REQUIRED_PERMISSIONS, ...WANTED_PERMISSIONS].reduce(
  (sum, p) => sum | p.bit,
  0n,
);
