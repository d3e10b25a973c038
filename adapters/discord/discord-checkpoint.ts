/**
 * The Discord checkpoint board: the checkpoint is a message of the orchestrator's bot in the swarm's
 * channel, pinned once (the bot needs the Pin Messages permission) and edited in place afterwards.
 * It is read back from the channel's pin list, newest pin first, keeping only the bot's own messages;
 * reading uses a REST client of its own, so `audit --channel` never opens a gateway connection.
 * @see https://discord.com/developers/docs/resources/message#pin-message
 * @see https://discord.com/developers/docs/resources/message#get-channel-pins
 */
import { randomBytes } from 'node:crypto';
import { REST, Routes, type RESTOptions } from 'discord.js';
import type { CheckpointBoard } from '../../src/chat/chat-port.ts';
import { ChatError } from '../../src/core/errors.ts';
import type { Logger } from '../../src/core/logger.ts';
import type { DiscordOutbound } from './discord-outbound.ts';
import { scrubSecrets, toChatError } from './to-chat-error.ts';

/** Discord's "Unknown Message": the message to edit was deleted. */
const UNKNOWN_MESSAGE = 10_008;

interface PinList {
  items: Array<{ message: { author?: { id?: string }; content?: string } }>;
}

export interface DiscordCheckpointDeps {
  channelId: string;
  token: string;
  restOptions: Partial<RESTOptions>;
  secrets: readonly string[];
  log: Logger;
  /** The started channel's outbound and REST client; undefined until `start`. */
  started: () => { outbound: DiscordOutbound; rest: REST } | undefined;
}

/** The board, plus `stop` to release the reading REST client. */
export function createDiscordCheckpoint(deps: DiscordCheckpointDeps): CheckpointBoard & { stop(): void } {
  let reader: REST | undefined;
  const call = async <T>(action: string, fn: () => Promise<unknown>): Promise<T> => {
    try {
      return (await fn()) as T;
    } catch (err) {
      throw toChatError(err, action, deps.secrets);
    }
  };
  return {
    async publish(text, previous) {
      const live = deps.started();
      if (!live) throw new ChatError('the Discord channel is not started', { permanent: false });
      if (previous) {
        try {
          await live.outbound.edit(previous, { text });
          return previous;
        } catch (err) {
          if (!(err instanceof ChatError) || err.platformCode !== UNKNOWN_MESSAGE) throw err;
          deps.log.warn('discord: the checkpoint message is gone; posting a new one', {
            messageId: previous.messageId,
          });
        }
      }
      const sent = await live.outbound.send({ text, nonce: `ckpt-${randomBytes(6).toString('hex')}` });
      try {
        await call('pin message', () =>
          live.rest.put(Routes.channelMessagesPin(deps.channelId, sent.messageId)),
        );
      } catch (err) {
        // An unpinned checkpoint anchors nothing: take it back rather than leave copies behind.
        await call('delete message', () =>
          live.rest.delete(Routes.channelMessage(deps.channelId, sent.messageId)),
        ).catch((e: unknown) =>
          deps.log.warn('discord: could not remove the unpinned checkpoint', {
            error: scrubSecrets(String(e), deps.secrets),
          }),
        );
        throw err;
      }
      return sent;
    },

    async read() {
      reader ??= new REST(deps.restOptions).setToken(deps.token);
      const rest = reader;
      const me = await call<{ id: string }>('read the bot user', () => rest.get(Routes.user('@me')));
      const pins = await call<PinList>('read pins', () =>
        rest.get(Routes.channelMessagesPins(deps.channelId), { query: new URLSearchParams({ limit: '50' }) }),
      );
      return pins.items
        .filter((p) => p.message.author?.id === me.id && typeof p.message.content === 'string')
        .map((p) => p.message.content!);
    },

    stop() {
      reader?.clearHashSweeper();
      reader?.clearHandlerSweeper();
      reader = undefined;
    },
  };
}
