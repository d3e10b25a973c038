import { createMemoryChannel } from '../../src/chat/memory-channel.ts';
import { describeButtonContract } from '../contract/button-contract.ts';

describeButtonContract('memory channel', async () => {
  const channel = createMemoryChannel({ channelId: 'mem-1' });
  return {
    port: channel,
    channelId: 'mem-1',
    human: { id: 'alice', name: 'Alice' },
    buttonsOf: async (messageId) =>
      (channel.transcript().find((e) => e.messageId === messageId)?.actions ?? []).map((a) => ({
        label: a.label,
        data: a.data,
      })),
    press: async (messageId, label) => {
      const entry = channel.transcript().find((e) => e.messageId === messageId);
      const data = entry?.actions?.find((a) => a.label === label)?.data ?? '';
      const reply = await channel.interact(
        { kind: 'button', data, messageId },
        { authorId: 'alice', name: 'Alice' },
      );
      return reply.text;
    },
    close: () => channel.stop(),
  };
});
