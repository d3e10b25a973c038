/**
 * Interactions on Discord: button presses, modal submits, slash commands and autocomplete arrive
 * as INTERACTION_CREATE over the gateway; each is acknowledged at once (a deferred ephemeral
 * response, or the modal for a button that needs text), well within Discord's 3 seconds whatever
 * the swarm is doing, then handed to the core, whose outcome replaces the "thinking…" line that only
 * the person sees. Autocomplete cannot be deferred: it is answered with what the core suggests, or
 * nothing if the core is slow.
 * @see https://discord.com/developers/docs/interactions/receiving-and-responding
 */
import { Routes, type REST } from 'discord.js';
import type {
  IncomingMessage,
  Interaction,
  InteractionReply,
  MessageHandler,
} from '../../src/chat/chat-port.ts';
import { parseActionData, TASK_ACTIONS } from '../../src/chat/task-actions.ts';
import { describeError } from '../../src/core/errors.ts';
import type { Logger } from '../../src/core/logger.ts';
import { MODAL_TEXT_ID, toModal } from './discord-components.ts';
import { renderDiscordContent } from './discord-render.ts';
import { scrubSecrets } from './to-chat-error.ts';

/** The fields of an INTERACTION_CREATE the adapter reads. */
export interface RawInteraction {
  id: string;
  application_id: string;
  type: number;
  token: string;
  channel_id?: string;
  channel?: { id: string; parent_id?: string | null };
  member?: { user: RawUser; roles?: string[]; nick?: string | null };
  user?: RawUser;
  data?: {
    custom_id?: string;
    name?: string;
    options?: Array<{ name: string; value?: string | number | boolean; focused?: boolean }>;
    components?: Array<{ components?: Array<{ custom_id?: string; value?: string }> }>;
  };
  message?: { id: string };
}

interface RawUser {
  id: string;
  username: string;
  global_name?: string | null;
  bot?: boolean;
}

const Type = { Command: 2, Component: 3, Autocomplete: 4, ModalSubmit: 5 } as const;
const Callback = { Message: 4, Deferred: 5, Autocomplete: 8, Modal: 9 } as const;
const EPHEMERAL = 1 << 6;
/** Autocomplete must be answered within Discord's 3 seconds; the core gets this long. */
const SUGGEST_BUDGET_MS = 2_000;
const NO_MENTIONS = { parse: [] as string[] };

export interface DiscordInteractionsDeps {
  rest: REST;
  channelId: string;
  log: Logger;
  secrets: readonly string[];
  onMessage: MessageHandler;
}

/** Answers and delivers each interaction; see the file comment. */
export class DiscordInteractions {
  private stopped = false;

  constructor(private readonly deps: DiscordInteractionsDeps) {}

  stop(): void {
    this.stopped = true;
  }

  /** Never throws: a failure costs a log line (and the person sees Discord's own failure note). */
  async handle(raw: RawInteraction): Promise<void> {
    if (this.stopped) return;
    try {
      await this.dispatch(raw);
    } catch (err) {
      this.deps.log.warn('discord: could not handle an interaction', {
        type: raw.type,
        error: scrubSecrets(describeError(err), [...this.deps.secrets, raw.token]),
      });
    }
  }

  private async dispatch(raw: RawInteraction): Promise<void> {
    const where = this.where(raw);
    if (where === undefined) {
      if (raw.type === Type.Autocomplete) return this.respond(raw, Callback.Autocomplete, { choices: [] });
      return this.respond(raw, Callback.Message, {
        content: `This swarm listens in <#${this.deps.channelId}> only.`,
        flags: EPHEMERAL,
        allowed_mentions: NO_MENTIONS,
      });
    }
    switch (raw.type) {
      case Type.Component: {
        const data = raw.data?.custom_id ?? '';
        const ref = parseActionData(data);
        const asks = ref ? TASK_ACTIONS[ref.action].asksText : undefined;
        // A button that needs text opens its form; the submit comes back as its own interaction.
        if (ref && asks)
          return this.respond(
            raw,
            Callback.Modal,
            toModal(data, { title: `${asks.title} ${ref.taskId}`, label: asks.label }),
          );
        return this.deferThenDeliver(raw, where, {
          kind: 'button',
          data,
          ...(raw.message ? { messageId: raw.message.id } : {}),
        });
      }
      case Type.ModalSubmit: {
        const field = raw.data?.components
          ?.flatMap((row) => row.components ?? [])
          .find((c) => c.custom_id === MODAL_TEXT_ID);
        return this.deferThenDeliver(raw, where, {
          kind: 'form',
          data: raw.data?.custom_id ?? '',
          text: field?.value ?? '',
        });
      }
      case Type.Command:
        return this.deferThenDeliver(raw, where, {
          kind: 'command',
          name: raw.data?.name ?? '',
          options: optionsOf(raw),
        });
      case Type.Autocomplete:
        return this.suggest(raw, where);
      default:
        return undefined;
    }
  }

  /** The swarm's channel, one of its threads, or undefined for anywhere else. */
  private where(raw: RawInteraction): { threadId?: string } | undefined {
    const channelId = raw.channel_id ?? raw.channel?.id;
    if (channelId === this.deps.channelId) return {};
    if (raw.channel?.parent_id === this.deps.channelId && channelId !== undefined)
      return { threadId: channelId };
    return undefined;
  }

  private async deferThenDeliver(
    raw: RawInteraction,
    where: { threadId?: string },
    interaction: DistributiveOmit<Interaction, 'ack'>,
  ): Promise<void> {
    // Acknowledged before the swarm does anything: the person sees "thinking…" within the deadline.
    await this.respond(raw, Callback.Deferred, { flags: EPHEMERAL });
    let answered = false;
    const ack = async (reply: InteractionReply): Promise<void> => {
      if (answered) return;
      answered = true;
      const text = reply.text.trim() === '' ? (reply.ok ? '✅ Done.' : '⚠️ Nothing changed.') : reply.text;
      await this.deps.rest.patch(Routes.webhookMessage(raw.application_id, raw.token, '@original'), {
        body: { content: fitContent(text), allowed_mentions: NO_MENTIONS },
        auth: false,
      });
    };
    await this.deliver(this.toMessage(raw, where, { ...interaction, ack }));
    // A handler that never answered must not leave the person's "thinking…" line forever.
    await ack({ ok: false, text: '⚠️ The swarm could not handle that; try again.' });
  }

  private async suggest(raw: RawInteraction, where: { threadId?: string }): Promise<void> {
    const focused = raw.data?.options?.find((o) => o.focused);
    let settle: (choices: Array<{ name: string; value: string }>) => void = () => undefined;
    const choices = new Promise<Array<{ name: string; value: string }>>((resolve) => (settle = resolve));
    const timer = setTimeout(() => settle([]), SUGGEST_BUDGET_MS);
    const interaction: Interaction = {
      kind: 'autocomplete',
      name: raw.data?.name ?? '',
      option: focused?.name ?? '',
      value: String(focused?.value ?? ''),
      ack: async (reply) => settle(reply.choices ?? []),
    };
    void this.deliver(this.toMessage(raw, where, interaction)).then(() => settle([]));
    const list = await choices;
    clearTimeout(timer);
    await this.respond(raw, Callback.Autocomplete, { choices: list.slice(0, 25) });
  }

  private async deliver(message: IncomingMessage): Promise<void> {
    try {
      await this.deps.onMessage(message);
    } catch (err) {
      this.deps.log.error('discord: interaction handler failed', { error: describeError(err) });
    }
  }

  private toMessage(
    raw: RawInteraction,
    where: { threadId?: string },
    interaction: Interaction,
  ): IncomingMessage {
    const user = raw.member?.user ?? raw.user ?? { id: '0', username: 'unknown' };
    const roles = raw.member?.roles;
    return {
      platform: 'discord',
      channelId: this.deps.channelId,
      // Interaction ids are snowflakes like message ids: the prefix keeps the inbox keys apart.
      messageId: `i:${raw.id}`,
      ...(where.threadId !== undefined ? { threadId: where.threadId } : {}),
      author: {
        id: user.id,
        name: raw.member?.nick ?? user.global_name ?? user.username,
        isBot: user.bot === true,
        ...(roles !== undefined ? { roleIds: [...roles] } : {}),
      },
      text: '',
      sentAt: Date.now(),
      interaction,
    };
  }

  private async respond(raw: RawInteraction, type: number, data: Record<string, unknown>): Promise<void> {
    await this.deps.rest.post(Routes.interactionCallback(raw.id, raw.token), {
      body: { type, data },
      auth: false,
    });
  }
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

function optionsOf(raw: RawInteraction): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {};
  for (const o of raw.data?.options ?? []) if (o.value !== undefined) out[o.name] = o.value;
  return out;
}

/** Escaped for markdown and within the 2000 characters of a message. */
function fitContent(text: string): string {
  let body = text;
  let content = renderDiscordContent({ text: body });
  while (content.length > 2_000 && body.length > 1) {
    body = `${body.slice(0, Math.max(1, body.length - (content.length - 2_000) - 1))}…`;
    content = renderDiscordContent({ text: body });
  }
  return content;
}
