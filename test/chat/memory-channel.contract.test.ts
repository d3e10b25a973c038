import { createMemoryChannel } from '../../src/chat/memory-channel.ts';
import { describeChatPortContract, type TranscriptEntry } from '../contract/chat-port-contract.ts';

describeChatPortContract('memory channel', async () => {
  const channel = createMemoryChannel({ channelId: 'mem-1' });
  return {
    port: channel,
    channelId: 'mem-1',
    human: { id: 'alice', name: 'Alice' },
    // The memory channel supports start after stop, so a restart reuses the same instance.
    restartPort: async () => channel,
    postAsHuman: async (text, options = {}) =>
      channel.postAsHuman(text, {
        authorId: 'alice',
        name: 'Alice',
        ...(options.replyTo !== undefined && { replyTo: options.replyTo }),
        ...(options.under !== undefined && { under: options.under }),
      }),
    postAsOtherBot: async (text) => {
      channel.postAsBot(text);
    },
    transcript: async () =>
      channel.transcript().map((e): TranscriptEntry => {
        const { attachment, ...rest } = e;
        return attachment ? { ...rest, attachments: [attachment.fileName] } : rest;
      }),
    capabilities: { edit: true, catchUp: true, details: true },
    close: () => channel.stop(),
  };
});
