import { describeChatPortContract, type TranscriptEntry } from '../../contract/chat-port-contract.ts';
import type { TranscriptEntry as FakeEntry } from '../../fakes/discord/fake-discord-test-api.ts';
import { startDiscordKit } from './discord-test-kit.ts';
import { renderDiscordContent, resolveMentions } from './render-discord-markdown.ts';

/** A continuation part of a message the adapter split (its nonce is the first part's plus `+N`). */
function isContinuation(entry: FakeEntry, previous: FakeEntry | undefined): boolean {
  return previous !== undefined && previous.authorId === entry.authorId && /\+\d+$/.test(entry.nonce ?? '');
}

describeChatPortContract('discord (discord.js against the fake server)', async () => {
  const kit = await startDiscordKit();
  const { fake } = kit;
  const swarmBots = new Map([
    [fake.bot('orchestrator').id, undefined],
    [fake.bot('designer-bot').id, 'designer-001'],
  ]);
  const alice = fake.user('alice');

  const transcript = async (): Promise<TranscriptEntry[]> => {
    const containers = [fake.channelId, ...fake.threads(fake.channelId).map((t) => t.id)];
    const entries: TranscriptEntry[] = [];
    for (const containerId of containers) {
      const messages = fake.transcript(containerId);
      // A person reads a message and its continuation parts as one, so they are joined here.
      const joined: FakeEntry[] = [];
      for (const m of messages) {
        const last = joined.at(-1);
        if (isContinuation(m, last))
          joined[joined.length - 1] = { ...last!, content: last!.content + m.content };
        else joined.push(m);
      }
      for (const m of joined) {
        const rendered = renderDiscordContent(m.content);
        const ownSpeaker = swarmBots.get(m.authorId);
        const speaker = rendered.speaker ?? ownSpeaker;
        entries.push({
          messageId: m.id,
          authorName: m.authorName,
          fromSwarm: swarmBots.has(m.authorId),
          ...(speaker !== undefined ? { speaker } : {}),
          ...(rendered.heading !== undefined ? { heading: rendered.heading } : {}),
          text: rendered.text,
          ...(containerId !== fake.channelId ? { underMessageId: containerId, threadId: containerId } : {}),
          ...(m.replyTo !== null ? { replyToMessageId: m.replyTo } : {}),
          edits: m.edits,
          attachments: m.attachments.map((a) => a.filename),
          mentions: resolveMentions(rendered.mentionTokens, m.allowedMentions),
        });
      }
    }
    return entries.sort((a, b) => (BigInt(a.messageId) < BigInt(b.messageId) ? -1 : 1));
  };

  return {
    port: kit.channel(),
    channelId: fake.channelId,
    human: { id: alice.id, name: alice.username },
    restartPort: async () => kit.channel(),
    postAsHuman: async (text, options = {}) =>
      fake.post('alice', text, {
        ...(options.under !== undefined ? { channelId: options.under.messageId } : {}),
        ...(options.replyTo !== undefined ? { replyTo: options.replyTo } : {}),
      }),
    postAsOtherBot: async (text) => {
      fake.postAsBot('stranger', text);
    },
    transcript,
    capabilities: { edit: true, catchUp: true, details: true },
    ownBotSpeaker: { speaker: 'designer-001', authorName: 'designer-bot' },
    close: () => kit.close(),
  };
});
