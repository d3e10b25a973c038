/**
 * Worker and user text on Discord pings no one: every message the adapter creates or edits (split
 * parts, attachments, an agent's own bot, a speaker label) carries `allowed_mentions: { parse: [] }`,
 * which disables @everyone, @here, roles and users alike.
 * @see https://discord.com/developers/docs/resources/message#allowed-mentions-object
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startDiscordKit, type DiscordKit } from './discord-test-kit.ts';
import { renderDiscordContent, resolveMentions } from './render-discord-markdown.ts';

let kit: DiscordKit | undefined;
afterEach(async () => {
  await kit?.close();
  kit = undefined;
});

const WORKER_OUTPUT =
  'done @everyone @here <@123456789012345678> <@!123456789012345678> <@&987654321098765432>';

describe('Discord adapter: mentions', () => {
  it('sends and edits worker text with every kind of mention disabled', async () => {
    kit = await startDiscordKit();
    const port = kit.channel();
    await port.start(async () => {});
    const main = await port.send({
      heading: 'T-1 @everyone <@&987654321098765432>',
      text: WORKER_OUTPUT,
      nonce: 'm-1',
    });
    const anchor = { messageId: main.messageId, taskId: 'T-1', title: '@everyone' };
    await port.send({ text: WORKER_OUTPUT, under: anchor, speaker: 'designer-001', nonce: 'm-2' });
    await port.send({ text: WORKER_OUTPUT, under: anchor, speaker: 'writer-002', nonce: 'm-3' });
    await port.send({
      text: `${'word '.repeat(500)}\n${WORKER_OUTPUT}`,
      under: anchor,
      attachment: { fileName: 'out.txt', content: Buffer.from('@everyone') },
      nonce: 'm-4',
    });
    await port.edit!(main, { heading: 'T-1 @here', text: `edited ${WORKER_OUTPUT}` });

    const messages = [...kit.fake.transcript(), ...kit.fake.transcript(main.messageId)];
    expect(messages.length).toBe(4);
    for (const m of messages) {
      const tokens = renderDiscordContent(m.content).mentionTokens;
      expect(m.allowedMentions, m.content).toEqual({ parse: [] });
      expect(resolveMentions(tokens, m.allowedMentions)).toEqual([]);
    }
    // The control: the @everyone in that text is live, so without allowed_mentions it would ping.
    const tokens = renderDiscordContent(kit.fake.transcript()[0]!.content).mentionTokens;
    expect(resolveMentions(tokens, null)).toContain('everyone');
  });
});
