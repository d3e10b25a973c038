import { afterEach, describe, expect, it } from 'vitest';
import { ChatError } from '../../../src/core/errors.ts';
import { DEFAULT_EVERYONE_PERMISSIONS, Perm } from '../../fakes/discord/fake-discord-state.ts';
import { ORCHESTRATOR_TOKEN, startDiscordKit, type DiscordKit } from './discord-test-kit.ts';

let kit: DiscordKit | undefined;
afterEach(async () => {
  await kit?.close();
  kit = undefined;
});

const pinnedIds = (k: DiscordKit) => (k.fake.state.pins.get(k.fake.channelId) ?? []).map((p) => p.messageId);
const own = (k: DiscordKit) => k.fake.transcript().filter((m) => m.authorName === 'orchestrator');

describe('Discord checkpoint board (discord.js against the fake)', () => {
  it('posts and pins once, then edits in place; read uses the pins route without a gateway', async () => {
    kit = await startDiscordKit();
    const port = kit.channel();
    await port.start(async () => {});
    const board = port.checkpoint!;
    const first = await board.publish('chat-swarm checkpoint: event 3 hash aa');
    expect(pinnedIds(kit)).toEqual([first.messageId]);
    const again = await board.publish('chat-swarm checkpoint: event 9 hash bb', first);
    expect(again).toEqual(first);
    expect(own(kit)).toHaveLength(1);
    expect(own(kit)[0]!.edits).toBe(1);

    const reader = kit.channel();
    expect(await reader.checkpoint!.read()).toEqual(['chat-swarm checkpoint: event 9 hash bb']);
    const paths = kit.fake.requests.map((r) => `${r.method} ${r.path}`);
    expect(paths.some((p) => /^PUT .*\/channels\/\d+\/messages\/pins\/\d+$/.test(p))).toBe(true);
    expect(paths.some((p) => /^GET .*\/channels\/\d+\/messages\/pins/.test(p))).toBe(true);
    expect(paths.some((p) => /\/channels\/\d+\/pins/.test(p))).toBe(false); // not the deprecated routes
    expect(kit.fake.unknownRoutes).toEqual([]);
  });

  it('posts a new checkpoint when the old message was deleted', async () => {
    kit = await startDiscordKit();
    const port = kit.channel();
    await port.start(async () => {});
    const first = await port.checkpoint!.publish('checkpoint one');
    kit.fake.state.messages.set(
      kit.fake.channelId,
      (kit.fake.state.messages.get(kit.fake.channelId) ?? []).filter((m) => m.id !== first.messageId),
    );
    kit.fake.state.pins.set(kit.fake.channelId, []);
    const next = await port.checkpoint!.publish('checkpoint two', first);
    expect(next.messageId).not.toBe(first.messageId);
    expect(pinnedIds(kit)).toEqual([next.messageId]);
    expect(await port.checkpoint!.read()).toEqual(['checkpoint two']);
  });

  it('without Pin Messages: fails plainly, leaves no unpinned copy, never shows the token', async () => {
    kit = await startDiscordKit({ everyonePermissions: DEFAULT_EVERYONE_PERMISSIONS & ~Perm.PinMessages });
    const port = kit.channel();
    await port.start(async () => {});
    const err = await port.checkpoint!.publish('checkpoint').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ChatError);
    expect((err as ChatError).permanent).toBe(true);
    expect((err as ChatError).message).toMatch(/pin message failed: Missing Permissions/);
    expect(own(kit)).toEqual([]);
    expect(kit.log.lines.join('\n')).not.toContain(ORCHESTRATOR_TOKEN);
  });

  it('reads only the swarm bot’s own pins, and refuses to publish before start', async () => {
    kit = await startDiscordKit();
    const port = kit.channel();
    const forged = kit.fake.postAsBot('stranger', 'chat-swarm checkpoint: event 1 hash forged');
    kit.fake.state.pins.set(kit.fake.channelId, [{ messageId: forged, pinnedAt: Date.now() }]);
    expect(await port.checkpoint!.read()).toEqual([]);
    const err = await port.checkpoint!.publish('x').catch((e: unknown) => e);
    expect((err as ChatError).permanent).toBe(false);
  });
});
