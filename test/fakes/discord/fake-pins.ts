/**
 * Pins in the fake Discord: pin and unpin (PIN_MESSAGES), the paginated pin list (newest pin first;
 * empty without READ_MESSAGE_HISTORY) and message deletion, with Discord's bodies and error codes.
 * Each pin change fires CHANNEL_PINS_UPDATE.
 * @see https://discord.com/developers/docs/resources/message#get-channel-pins
 * @see https://discord.com/developers/docs/resources/message#pin-message
 */
import { Errors, invalidField, type FakeReply } from './fake-api-error.ts';
import { Perm, type FakeBot, type FakeDiscordState } from './fake-discord-state.ts';
import { toApiMessage } from './fake-discord-json.ts';
import { Intent, type FakeGateway } from './fake-gateway.ts';

/** Discord's per-channel pin limit. */
export const MAX_PINS = 250;

function pinsUpdate(state: FakeDiscordState, gateway: FakeGateway, channelId: string): void {
  const list = state.pins.get(channelId) ?? [];
  const last = list.at(-1);
  gateway.dispatch('CHANNEL_PINS_UPDATE', (reader, intents) =>
    intents & Intent.Guilds && state.can(reader.id, channelId, Perm.ViewChannel)
      ? {
          guild_id: state.guildId,
          channel_id: channelId,
          last_pin_timestamp: last ? new Date(last.pinnedAt).toISOString() : null,
        }
      : undefined,
  );
}

/** PUT (pin) or DELETE (unpin) /channels/{c}/messages/pins/{m}. */
export function setPinned(
  state: FakeDiscordState,
  gateway: FakeGateway,
  bot: FakeBot,
  channelId: string,
  messageId: string,
  pinned: boolean,
  now: number,
): FakeReply {
  if (!state.can(bot.id, channelId, Perm.PinMessages)) return Errors.missingPermissions();
  if (!state.findMessage(channelId, messageId)) return Errors.unknownMessage();
  const list = (state.pins.get(channelId) ?? []).filter((p) => p.messageId !== messageId);
  if (pinned) {
    if (list.length >= MAX_PINS) return Errors.maxPins();
    list.push({ messageId, pinnedAt: now });
  }
  state.pins.set(channelId, list);
  pinsUpdate(state, gateway, channelId);
  return { status: 204 };
}

/** GET /channels/{c}/messages/pins?limit=1..50&before=ISO8601: `{ items: [{ pinned_at, message }], has_more }`. */
export function listPins(
  state: FakeDiscordState,
  bot: FakeBot,
  channelId: string,
  query: URLSearchParams,
): FakeReply {
  if (!state.can(bot.id, channelId, Perm.ReadMessageHistory))
    return { status: 200, body: { items: [], has_more: false } };
  const rawLimit = query.get('limit');
  const limit = rawLimit === null ? 50 : Number(rawLimit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 50)
    return invalidField('limit', 'NUMBER_TYPE_MAX', 'int value should be between 1 and 50.');
  const before = query.get('before');
  const beforeMs = before === null ? Infinity : Date.parse(before);
  const newestFirst = [...(state.pins.get(channelId) ?? [])].reverse().filter((p) => p.pinnedAt < beforeMs);
  const items = newestFirst.slice(0, limit).flatMap((p) => {
    const message = state.findMessage(channelId, p.messageId);
    return message
      ? [
          {
            pinned_at: new Date(p.pinnedAt).toISOString(),
            message: { ...toApiMessage(state, message, bot, false), pinned: true },
          },
        ]
      : [];
  });
  return { status: 200, body: { items, has_more: newestFirst.length > limit } };
}

/** DELETE /channels/{c}/messages/{m}: the author's own message, or anyone's with MANAGE_MESSAGES. */
export function deleteMessage(
  state: FakeDiscordState,
  gateway: FakeGateway,
  bot: FakeBot,
  channelId: string,
  messageId: string,
): FakeReply {
  const list = state.messages.get(channelId) ?? [];
  const message = list.find((m) => m.id === messageId);
  if (!message) return Errors.unknownMessage();
  if (message.authorId !== bot.id && !state.can(bot.id, channelId, Perm.ManageMessages))
    return Errors.missingPermissions();
  state.messages.set(
    channelId,
    list.filter((m) => m.id !== messageId),
  );
  const pins = state.pins.get(channelId);
  if (pins?.some((p) => p.messageId === messageId)) {
    state.pins.set(
      channelId,
      pins.filter((p) => p.messageId !== messageId),
    );
  }
  gateway.dispatch('MESSAGE_DELETE', (reader, intents) =>
    intents & Intent.GuildMessages && state.can(reader.id, channelId, Perm.ViewChannel)
      ? { id: messageId, channel_id: channelId, guild_id: state.guildId }
      : undefined,
  );
  return { status: 204 };
}
