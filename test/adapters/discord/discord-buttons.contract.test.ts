import { expect } from 'vitest';
import { describeButtonContract } from '../../contract/button-contract.ts';
import { waitFor } from '../../support/wait-for.ts';
import { startDiscordKit } from './discord-test-kit.ts';

describeButtonContract('discord (discord.js against the fake server)', async () => {
  const kit = await startDiscordKit();
  const { fake } = kit;
  const alice = fake.user('alice');
  return {
    port: kit.channel(),
    channelId: fake.channelId,
    human: { id: alice.id, name: alice.username },
    buttonsOf: async (messageId) =>
      (fake.state.findMessage(fake.channelId, messageId)?.components ?? [])
        .flat()
        .map((b) => ({ label: b.label, data: b.customId })),
    press: async (messageId, label) => {
      const press = fake.pressButton('alice', messageId, { label });
      const seen = await waitFor('the ephemeral answer', () => {
        const i = fake.interaction(press.id);
        return i?.original && !i.original.thinking ? i : undefined;
      });
      expect(seen.failed).toBe(false);
      expect(seen.original!.ephemeral).toBe(true);
      return seen.original!.content.replace(/\\(.)/g, '$1');
    },
    close: async () => {
      await kit.close();
      expect(fake.unknownRoutes).toEqual([]);
    },
  };
});
