import { afterEach, describe, expect, it } from 'vitest';
import { ChatError } from '../../../src/core/errors.ts';
import { createTelegramFixture, type TelegramFixture } from './telegram-fixture.ts';

let fx: TelegramFixture | undefined;
afterEach(async () => {
  await fx?.close();
  fx = undefined;
});

const botLines = (f: TelegramFixture) =>
  f.fake.transcript(f.chat.id).filter((l) => l.fromId === f.orchestrator.id && l.service === undefined);

describe('Telegram checkpoint board (grammY against the fake Bot API)', () => {
  it('posts and silently pins once, then edits in place; read needs no start', async () => {
    fx = await createTelegramFixture();
    const board = fx.channel().checkpoint!;
    const first = await board.publish('chat-swarm checkpoint: event 3 hash aa');
    expect(fx.chat.pinned).toEqual([Number(first.messageId)]);
    expect(fx.chat.loudPins ?? 0).toBe(0);
    expect(fx.fake.transcript(fx.chat.id).some((l) => l.service === 'pinnedMessage')).toBe(true);

    const second = await board.publish('chat-swarm checkpoint: event 9 hash bb', first);
    expect(second).toEqual(first);
    await board.publish('chat-swarm checkpoint: event 9 hash bb', first); // "not modified" is fine
    expect(botLines(fx)).toHaveLength(1);
    expect(botLines(fx)[0]!.edits).toEqual(['chat-swarm checkpoint: event 3 hash aa']);

    // A separate channel that never starts, as `audit --channel` uses it.
    const reader = fx.channel();
    expect(await reader.checkpoint!.read()).toEqual(['chat-swarm checkpoint: event 9 hash bb']);
    expect(fx.fake.stats().unknownCalls).toEqual([]);
  });

  it('posts a new checkpoint when someone deleted the old one', async () => {
    fx = await createTelegramFixture();
    const board = fx.channel().checkpoint!;
    const first = await board.publish('checkpoint one');
    fx.chat.messages.delete(Number(first.messageId));
    fx.chat.pinned = [];
    const next = await board.publish('checkpoint two', first);
    expect(next.messageId).not.toBe(first.messageId);
    expect(fx.chat.pinned).toEqual([Number(next.messageId)]);
    expect(await board.read()).toEqual(['checkpoint two']);
  });

  it('without the pin right: fails plainly and leaves no unpinned copy behind', async () => {
    fx = await createTelegramFixture({ orchestratorAdmin: false });
    const board = fx.channel().checkpoint!;
    const err = await board.publish('checkpoint').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ChatError);
    expect((err as ChatError).permanent).toBe(true);
    expect((err as ChatError).message).toMatch(/pinChatMessage failed \(400\): .*not enough rights/);
    expect(botLines(fx)).toEqual([]);
    expect(await board.read()).toEqual([]);
    expect(fx.log.text()).not.toContain(fx.orchestrator.token!);
  });

  it('reads only the swarm bot’s own pinned message: a newer pin by someone else hides it', async () => {
    fx = await createTelegramFixture();
    const board = fx.channel().checkpoint!;
    await board.publish('checkpoint');
    const fake = fx.fake.postAsBot(fx.chat.id, fx.stranger.id, 'chat-swarm checkpoint: event 1 hash forged');
    fx.chat.pinned.push(fake.messageId);
    expect(await board.read()).toEqual([]);
  });
});
