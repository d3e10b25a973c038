import { expect } from 'vitest';
import { describeButtonContract } from '../../contract/button-contract.ts';
import { waitFor } from '../../support/wait-for.ts';
import { createTelegramFixture } from './telegram-fixture.ts';

describeButtonContract('telegram (grammY against the fake Bot API)', async () => {
  const fx = await createTelegramFixture();
  return {
    port: fx.channel(),
    channelId: String(fx.chat.id),
    human: { id: String(fx.alice.id), name: 'Alice' },
    buttonsOf: async (messageId) =>
      fx.fake
        .buttonsOf(fx.chat.id, Number(messageId))
        .flat()
        .map((b) => ({ label: b.text, data: b.callbackData })),
    press: async (messageId, label) => {
      const query = fx.fake.pressButton(fx.chat.id, Number(messageId), fx.alice.id, { text: label });
      const answer = await waitFor('the toast', () => fx.fake.callbackQuery(query.id)?.answer, 15_000);
      return answer.text;
    },
    deliveryTimeoutMs: 15_000,
    close: async () => {
      await fx.close();
      expect(fx.fake.stats().unknownCalls).toEqual([]);
      expect(fx.fake.unansweredCallbacks()).toEqual([]);
    },
  };
});
