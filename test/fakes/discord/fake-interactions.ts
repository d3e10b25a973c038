/**
 * Interactions in the fake Discord, as documented: a person's button press, modal submit, slash
 * command or autocomplete reaches the app's bot as INTERACTION_CREATE over the gateway; the app
 * answers once at `POST /interactions/{id}/{token}/callback` within 3 seconds (after which the
 * person sees "This interaction failed" and the callback is 10062 Unknown interaction), then edits
 * the original response or sends follow-ups through `/webhooks/{app}/{token}` for 15 minutes.
 * Ephemeral responses (flags 64) are seen only by that person. Guild commands are registered with a
 * bulk overwrite (`PUT /applications/{app}/guilds/{guild}/commands`), under their own rate limit and
 * the daily limit of 200 command creates per guild.
 * @see https://discord.com/developers/docs/interactions/receiving-and-responding
 * @see https://discord.com/developers/docs/interactions/application-commands
 */
import { apiError, invalidField, type FakeReply } from './fake-api-error.ts';
import { readModal, type FakeModal } from './fake-components.ts';
import type { FakeBot, FakeDiscordState, FakeUser } from './fake-discord-state.ts';
import { toApiChannel, toApiMessage, toApiUser } from './fake-discord-json.ts';
import type { FakeGateway } from './fake-gateway.ts';
import { registerCommands, type CommandRegistry } from './fake-app-commands.ts';

export const InteractionType = { Command: 2, Component: 3, Autocomplete: 4, ModalSubmit: 5 } as const;
export const CallbackType = {
  Message: 4,
  DeferredMessage: 5,
  DeferredUpdate: 6,
  UpdateMessage: 7,
  AutocompleteResult: 8,
  Modal: 9,
} as const;
const EPHEMERAL = 1 << 6;

export const INTERACTION_TIMING = { responseDeadlineMs: 3_000, tokenLifetimeMs: 15 * 60_000 } as const;

/** What one person sees of a response: the original and follow-ups, ephemeral or not. */
export interface FakeResponseMessage {
  content: string;
  ephemeral: boolean;
  /** True while a deferred response still shows "… is thinking". */
  thinking: boolean;
}

export interface FakeInteraction {
  id: string;
  token: string;
  type: number;
  botId: string;
  userId: string;
  channelId: string;
  createdAt: number;
  /** The message whose button was pressed. */
  messageId?: string;
  /** The callback, once answered. */
  response?: { type: number; at: number; ephemeral: boolean };
  original?: FakeResponseMessage;
  followUps: FakeResponseMessage[];
  modal?: FakeModal;
  choices?: Array<{ name: string; value: string | number }>;
  /** The person saw "This interaction failed": no callback within 3 seconds. */
  failed: boolean;
}

/** What `press`, `submit`, `command` and `autocomplete` send as the interaction's `data`. */
export type InteractionData = Record<string, unknown>;

export class FakeInteractions {
  readonly all = new Map<string, FakeInteraction>();
  readonly registry: CommandRegistry = {
    commands: new Map(),
    createsToday: new Map(),
    writes: [],
    overwrites: 0,
  };

  constructor(
    private readonly state: FakeDiscordState,
    private readonly gateway: FakeGateway,
    private readonly now: () => number,
    private readonly commandWrites: { limit: number; windowMs: number },
  ) {}

  /** Sends a person's interaction to the app's bot over the gateway; returns it. */
  create(
    bot: FakeBot,
    user: FakeUser,
    channelId: string,
    type: number,
    data: InteractionData,
    messageId?: string,
  ): FakeInteraction {
    const channel = this.state.channels.get(channelId);
    if (!channel) throw new Error(`fake discord: no channel ${channelId}`);
    const interaction: FakeInteraction = {
      id: this.state.nextId(),
      token: `aW50ZXJhY3Rpb246${this.state.nextId()}.fake-interaction-token`,
      type,
      botId: bot.id,
      userId: user.id,
      channelId,
      createdAt: this.now(),
      followUps: [],
      failed: false,
      ...(messageId !== undefined ? { messageId } : {}),
    };
    this.all.set(interaction.id, interaction);
    const message = messageId === undefined ? undefined : this.state.findMessage(channelId, messageId);
    const payload = {
      id: interaction.id,
      application_id: bot.applicationId,
      type,
      token: interaction.token,
      version: 1,
      guild_id: this.state.guildId,
      channel_id: channelId,
      channel: toApiChannel(this.state, channel),
      member: {
        user: toApiUser(user),
        roles: user.roleIds,
        permissions: this.state.permissionsOf(user.id, channelId).toString(),
        joined_at: new Date(0).toISOString(),
        deaf: false,
        mute: false,
        flags: 0,
        nick: null,
      },
      app_permissions: this.state.permissionsOf(bot.id, channelId).toString(),
      locale: 'en-US',
      guild_locale: 'en-US',
      entitlements: [],
      authorizing_integration_owners: { '0': this.state.guildId },
      context: 0,
      data,
      ...(message ? { message: toApiMessage(this.state, message, bot, true) } : {}),
    };
    this.gateway.dispatch('INTERACTION_CREATE', (reader) => (reader.id === bot.id ? payload : undefined));
    return interaction;
  }

  /** The interaction as the person sees it now (the 3-second deadline applied). */
  view(id: string): FakeInteraction | undefined {
    const i = this.all.get(id);
    if (!i) return undefined;
    if (!i.response && this.now() - i.createdAt > INTERACTION_TIMING.responseDeadlineMs) i.failed = true;
    return structuredClone(i);
  }

  /** `/interactions/...` and `/webhooks/...` (no bot token: the interaction token authorises). */
  route(method: string, parts: string[], body: Record<string, unknown>): FakeReply | undefined {
    if (parts[0] === 'interactions' && parts[3] === 'callback' && parts.length === 4 && method === 'POST')
      return this.callback(parts[1] ?? '', parts[2] ?? '', body);
    if (parts[0] !== 'webhooks') return undefined;
    const i = this.byToken(parts[1] ?? '', parts[2] ?? '');
    if (!i) return apiError(404, 10015, 'Unknown Webhook');
    if (this.now() - i.createdAt > INTERACTION_TIMING.tokenLifetimeMs)
      return apiError(401, 50027, 'Invalid Webhook Token');
    if (!i.response) return apiError(404, 10015, 'Unknown Webhook');
    if (parts.length === 3 && method === 'POST') return this.followUp(i, body);
    if (parts.length === 5 && parts[3] === 'messages' && parts[4] === '@original' && method === 'PATCH')
      return this.editOriginal(i, body);
    return undefined;
  }

  /** `PUT|GET /applications/{app}/guilds/{guild}/commands` for the bot that owns the application. */
  commandsRoute(
    bot: FakeBot,
    method: string,
    parts: string[],
    body: unknown,
  ): FakeReply | { limited: number } | undefined {
    if (parts[0] !== 'applications' || parts[2] !== 'guilds' || parts[4] !== 'commands' || parts.length !== 5)
      return undefined;
    if (parts[1] !== bot.applicationId || bot.commandsScope === false)
      return apiError(403, 50001, 'Missing Access');
    if (parts[3] !== this.state.guildId) return apiError(404, 10004, 'Unknown Guild');
    const key = `${bot.applicationId}:${this.state.guildId}`;
    if (method === 'GET') return { status: 200, body: this.registry.commands.get(key) ?? [] };
    if (method !== 'PUT') return undefined;
    // Command writes have a bucket of their own, much smaller than message sends.
    const now = this.now();
    this.registry.writes = this.registry.writes.filter((at) => now - at < this.commandWrites.windowMs);
    if (this.registry.writes.length >= this.commandWrites.limit) {
      return { limited: (this.registry.writes[0] ?? now) + this.commandWrites.windowMs - now };
    }
    this.registry.writes.push(now);
    return registerCommands(
      this.registry,
      key,
      body,
      () => this.state.nextId(),
      bot.applicationId,
      this.state.guildId,
      now,
    );
  }

  private byToken(appId: string, token: string): FakeInteraction | undefined {
    for (const i of this.all.values()) {
      const bot = this.state.users.get(i.botId) as FakeBot | undefined;
      if (i.token === token && bot?.applicationId === appId) return i;
    }
    return undefined;
  }

  private callback(id: string, token: string, body: Record<string, unknown>): FakeReply {
    const i = this.all.get(id);
    if (!i || i.token !== token) return apiError(404, 10062, 'Unknown interaction');
    if (i.response) return apiError(400, 40060, 'Interaction has already been acknowledged.');
    if (this.now() - i.createdAt > INTERACTION_TIMING.responseDeadlineMs) {
      i.failed = true;
      return apiError(404, 10062, 'Unknown interaction');
    }
    const type = Number(body.type);
    const data = (body.data ?? {}) as Record<string, unknown>;
    const ephemeral = (Number(data.flags ?? 0) & EPHEMERAL) !== 0;
    const allowed: Record<number, number[]> = {
      [InteractionType.Command]: [CallbackType.Message, CallbackType.DeferredMessage, CallbackType.Modal],
      [InteractionType.Component]: [
        CallbackType.Message,
        CallbackType.DeferredMessage,
        CallbackType.DeferredUpdate,
        CallbackType.UpdateMessage,
        CallbackType.Modal,
      ],
      [InteractionType.Autocomplete]: [CallbackType.AutocompleteResult],
      [InteractionType.ModalSubmit]: [
        CallbackType.Message,
        CallbackType.DeferredMessage,
        CallbackType.DeferredUpdate,
      ],
    };
    if (!(allowed[i.type] ?? []).includes(type))
      return apiError(400, 40043, 'Interaction response type is not valid for this interaction');
    if (type === CallbackType.Message) {
      const content = typeof data.content === 'string' ? data.content : '';
      if (content.length === 0 || content.length > 2_000)
        return invalidField('data.content', 'BASE_TYPE_BAD_LENGTH', 'Must be between 1 and 2000 in length.');
      i.original = { content, ephemeral, thinking: false };
    } else if (type === CallbackType.DeferredMessage) {
      i.original = { content: '', ephemeral, thinking: true };
    } else if (type === CallbackType.AutocompleteResult) {
      const choices = Array.isArray(data.choices)
        ? (data.choices as Array<{ name?: unknown; value?: unknown }>)
        : undefined;
      if (!choices || choices.length > 25)
        return invalidField('data.choices', 'BASE_TYPE_BAD_LENGTH', 'Must be between 0 and 25 in length.');
      for (const c of choices) {
        if (typeof c.name !== 'string' || c.name.length < 1 || c.name.length > 100)
          return invalidField(
            'data.choices.name',
            'BASE_TYPE_BAD_LENGTH',
            'Must be between 1 and 100 in length.',
          );
        if (typeof c.value !== 'string' && typeof c.value !== 'number')
          return invalidField('data.choices.value', 'BASE_TYPE_REQUIRED', 'This field is required');
      }
      i.choices = choices as NonNullable<FakeInteraction['choices']>;
    } else if (type === CallbackType.Modal) {
      const modal = readModal(data);
      if (!modal.ok) return modal.reply;
      i.modal = modal.value;
    }
    i.response = { type, at: this.now(), ephemeral };
    return { status: 204 };
  }

  private editOriginal(i: FakeInteraction, body: Record<string, unknown>): FakeReply {
    if (!i.original) return apiError(404, 10008, 'Unknown Message');
    const content = typeof body.content === 'string' ? body.content : i.original.content;
    if (content.length > 2_000)
      return invalidField('content', 'BASE_TYPE_MAX_LENGTH', 'Must be 2000 or fewer in length.');
    i.original = { content, ephemeral: i.original.ephemeral, thinking: false };
    return { status: 200, body: { id: i.id, content, flags: i.original.ephemeral ? EPHEMERAL : 0 } };
  }

  private followUp(i: FakeInteraction, body: Record<string, unknown>): FakeReply {
    const content = typeof body.content === 'string' ? body.content : '';
    if (content.length === 0 || content.length > 2_000)
      return invalidField('content', 'BASE_TYPE_BAD_LENGTH', 'Must be between 1 and 2000 in length.');
    const ephemeral = (Number(body.flags ?? 0) & EPHEMERAL) !== 0;
    i.followUps.push({ content, ephemeral, thinking: false });
    return { status: 200, body: { id: this.state.nextId(), content, flags: ephemeral ? EPHEMERAL : 0 } };
  }
}
