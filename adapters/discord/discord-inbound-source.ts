/**
 * The REST reads behind catch-up: history after a message, a channel's newest message, the active
 * threads of the swarm's channel, a channel's parent, and a member's roles (cached briefly).
 */
import { Routes, type REST } from 'discord.js';
import type { DiscordLimiter } from './discord-limiter.ts';
import type { InboundSource } from './discord-inbound.ts';
import type { RawDiscordMessage } from './to-incoming-message.ts';

const ROLE_CACHE_MS = 60_000;

export async function createInboundSource(opts: {
  rest: REST;
  limiter: DiscordLimiter;
  channelId: string;
  guildId: string | undefined;
  adminRoleIds: readonly string[];
}): Promise<InboundSource> {
  const { rest, limiter, channelId } = opts;
  // Reads have their own buckets on Discord; pace them apart from the sends to the same channel.
  const read = <T>(containerId: string, fn: () => Promise<unknown>): Promise<T> =>
    limiter.schedule('orchestrator', `read:${containerId}`, fn) as Promise<T>;
  const channel = await read<{ guild_id?: string }>(channelId, () => rest.get(Routes.channel(channelId)));
  const guildId = opts.guildId ?? channel.guild_id;
  const roles = new Map<string, { at: number; roleIds: string[] | undefined }>();
  return {
    historyAfter: (containerId, afterId) =>
      read<RawDiscordMessage[]>(containerId, () =>
        rest.get(Routes.channelMessages(containerId), {
          query: new URLSearchParams({ after: afterId, limit: '100' }),
        }),
      ),
    async newestMessageId(containerId) {
      const list = await read<RawDiscordMessage[]>(containerId, () =>
        rest.get(Routes.channelMessages(containerId), { query: new URLSearchParams({ limit: '1' }) }),
      );
      return list[0]?.id;
    },
    async activeThreadIds() {
      if (guildId === undefined) return [];
      const active = await read<{ threads: Array<{ id: string; parent_id?: string | null }> }>(guildId, () =>
        rest.get(Routes.guildActiveThreads(guildId)),
      );
      return active.threads.filter((t) => t.parent_id === channelId).map((t) => t.id);
    },
    async parentOf(containerId) {
      const c = await read<{ parent_id?: string | null }>(containerId, () =>
        rest.get(Routes.channel(containerId)),
      );
      return c.parent_id ?? undefined;
    },
    async roleIdsOf(userId) {
      if (opts.adminRoleIds.length === 0 || guildId === undefined) return undefined;
      const cached = roles.get(userId);
      if (cached && Date.now() - cached.at < ROLE_CACHE_MS) return cached.roleIds;
      const member = await read<{ roles?: string[] }>(guildId, () =>
        rest.get(Routes.guildMember(guildId, userId)),
      ).catch(() => undefined);
      roles.set(userId, { at: Date.now(), roleIds: member?.roles });
      return member?.roles;
    },
  };
}
