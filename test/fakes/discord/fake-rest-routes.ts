/**
 * The REST routes of the fake under /api/v10, answering as Discord does (bodies, error codes,
 * permission checks). Returns undefined for a route the fake does not know, so the server can
 * answer 404 and record it loudly.
 */
import { Errors, type FakeReply } from './fake-api-error.ts';
import { Perm, type FakeBot, type FakeDiscordState } from './fake-discord-state.ts';
import { toApiChannel, toApiMember, toApiMessage, toApiRole, toApiUser } from './fake-discord-json.ts';
import type { CreateMessageInput, FakeMessages } from './fake-messages.ts';
import { listPins } from './fake-pins.ts';
import { compareSnowflakes } from './snowflake.ts';

export interface RouteContext {
  bot: FakeBot;
  method: string;
  /** Path segments after /api/v10. */
  parts: string[];
  query: URLSearchParams;
  body: Record<string, unknown>;
  files: Array<{ filename: string; content: Buffer }>;
}

/** The rate-limit group and major parameter of a request, the way Discord buckets routes. */
export function rateGroupOf(method: string, parts: string[]): { group: string; major: string } {
  const [top, id, sub, , tail] = parts;
  if (top === 'channels' && sub === 'messages' && method !== 'GET' && tail === undefined) {
    return { group: 'messages', major: id ?? '' };
  }
  const template = parts.map((p) => (/^\d{5,}$/.test(p) ? ':id' : p)).join('/');
  const major = top === 'channels' || top === 'guilds' ? (id ?? '') : '';
  return { group: `${method} ${template}`, major };
}

export function routeRequest(
  state: FakeDiscordState,
  messages: FakeMessages,
  ctx: RouteContext,
  gatewayUrl: string,
): FakeReply | undefined {
  const { bot, method, parts, query, body } = ctx;
  const key = `${method} ${parts.map((p, i) => (i % 2 === 1 && /^\d+$/.test(p) ? ':id' : p)).join('/')}`;
  switch (key) {
    case 'GET gateway/bot':
      return {
        status: 200,
        body: {
          url: gatewayUrl,
          shards: 1,
          session_start_limit: { total: 1_000, remaining: 999, reset_after: 86_400_000, max_concurrency: 1 },
        },
      };
    case 'GET users/@me':
      return { status: 200, body: { ...toApiUser(bot), verified: true, mfa_enabled: false, flags: 0 } };
    case 'GET applications/@me':
      return {
        status: 200,
        body: {
          id: bot.applicationId,
          name: bot.username,
          bot: toApiUser(bot),
          flags: bot.messageContentAllowed ? 1 << 18 : 0,
        },
      };
    case 'GET guilds/:id':
    case 'GET guilds/:id/roles':
    case 'GET guilds/:id/members/:id':
    case 'GET guilds/:id/threads/active':
      return guildRoute(state, bot, key, parts);
    default:
      break;
  }
  if (parts[0] !== 'channels') return undefined;
  const channelId = parts[1] ?? '';
  const channel = state.channels.get(channelId);
  const known = [
    'GET channels/:id',
    'PATCH channels/:id',
    'GET channels/:id/messages',
    'POST channels/:id/messages',
  ];
  // Pins: GET /channels/{c}/messages/pins, PUT and DELETE /channels/{c}/messages/pins/{m}.
  if (parts[2] === 'messages' && parts[3] === 'pins') {
    const pinTarget = parts[4];
    const pinRoute =
      (method === 'GET' && parts.length === 4) ||
      ((method === 'PUT' || method === 'DELETE') && parts.length === 5 && pinTarget !== undefined);
    if (!pinRoute) return undefined;
    if (!channel) return Errors.unknownChannel();
    if (!state.can(bot.id, channelId, Perm.ViewChannel)) return Errors.missingAccess();
    if (method === 'GET') return listPins(state, bot, channelId, query);
    return messages.setPinned(bot, channelId, pinTarget!, method === 'PUT');
  }
  if (key === 'DELETE channels/:id/messages/:id') {
    if (!channel) return Errors.unknownChannel();
    if (!state.can(bot.id, channelId, Perm.ViewChannel)) return Errors.missingAccess();
    return messages.delete(bot, channelId, parts[3] ?? '');
  }
  const isMessageRoute =
    key.startsWith('GET channels/:id/messages/') ||
    key.startsWith('PATCH channels/:id/messages/') ||
    key.startsWith('POST channels/:id/messages/');
  if (!known.includes(key) && !isMessageRoute) return undefined;
  if (!channel) return Errors.unknownChannel();
  if (!state.can(bot.id, channelId, Perm.ViewChannel)) return Errors.missingAccess();
  const messageId = parts[3] ?? '';
  if (key === 'GET channels/:id') return { status: 200, body: toApiChannel(state, channel) };
  if (key === 'PATCH channels/:id') {
    if (typeof body.archived === 'boolean') return messages.setArchived(channel, body.archived);
    return { status: 200, body: toApiChannel(state, channel) };
  }
  if (key === 'GET channels/:id/messages') return history(state, bot, channelId, query);
  if (key === 'POST channels/:id/messages')
    return messages.create(bot.id, channelId, { ...(body as CreateMessageInput), files: ctx.files }, bot);
  if (parts.length === 4 && method === 'GET') {
    const message = state.findMessage(channelId, messageId);
    return message
      ? { status: 200, body: toApiMessage(state, message, bot, false) }
      : Errors.unknownMessage();
  }
  if (parts.length === 4 && method === 'PATCH') return messages.edit(bot.id, channelId, messageId, body, bot);
  if (parts.length === 5 && parts[4] === 'threads' && method === 'POST')
    return messages.startThread(bot.id, channelId, messageId, body);
  return undefined;
}

function guildRoute(state: FakeDiscordState, bot: FakeBot, key: string, parts: string[]): FakeReply {
  if (parts[1] !== state.guildId) return Errors.unknownGuild();
  if (key === 'GET guilds/:id/roles')
    return { status: 200, body: [...state.roles.values()].map((r, i) => toApiRole(r, i)) };
  if (key === 'GET guilds/:id/members/:id') {
    const user = state.users.get(parts[3] ?? '');
    return user ? { status: 200, body: toApiMember(user) } : Errors.unknownMember();
  }
  if (key === 'GET guilds/:id/threads/active') {
    const threads = [...state.channels.values()].filter(
      (c) => c.parentId !== null && !c.archived && state.can(bot.id, c.id, Perm.ViewChannel),
    );
    return { status: 200, body: { threads: threads.map((t) => toApiChannel(state, t)), members: [] } };
  }
  return {
    status: 200,
    body: {
      id: state.guildId,
      name: 'Fake Guild',
      owner_id: state.ownerId,
      roles: [...state.roles.values()].map((r, i) => toApiRole(r, i)),
      features: [],
    },
  };
}

/** GET /channels/{c}/messages: newest first, `limit` 1–100 (default 50), before/after/around. */
function history(
  state: FakeDiscordState,
  bot: FakeBot,
  channelId: string,
  query: URLSearchParams,
): FakeReply {
  // Without Read Message History Discord answers with an empty list rather than an error.
  if (!state.can(bot.id, channelId, Perm.ReadMessageHistory)) return { status: 200, body: [] };
  const limit = Math.min(100, Math.max(1, Number(query.get('limit') ?? 50)));
  let list = [...(state.messages.get(channelId) ?? [])];
  const before = query.get('before');
  const after = query.get('after');
  if (before) list = list.filter((m) => compareSnowflakes(m.id, before) < 0);
  if (after) {
    // Discord returns the `limit` messages right after `after`, still newest first.
    list = list.filter((m) => compareSnowflakes(m.id, after) > 0).slice(0, limit);
  } else {
    list = list.slice(-limit);
  }
  return { status: 200, body: list.reverse().map((m) => toApiMessage(state, m, bot, false)) };
}
