import { describe, expect, it } from 'vitest';
import type { IncomingMessage } from '../../src/chat/chat-port.ts';
import { createMemoryChannel } from '../../src/chat/memory-channel.ts';
import { ChatError } from '../../src/core/errors.ts';

const fixedClock = { now: () => 1_700_000_000_000 };

describe('memory channel', () => {
  it('queues messages posted while stopped and delivers them in order at start', async () => {
    const channel = createMemoryChannel({ clock: fixedClock });
    const a = channel.postAsHuman('one', { authorId: 'u1', name: 'Ann' });
    const b = channel.postAsHuman('two', { replyTo: a });
    const got: IncomingMessage[] = [];
    await channel.start(async (m) => {
      got.push(m);
    });
    await channel.idle();
    expect(got.map((m) => [m.messageId, m.text])).toEqual([
      [a, 'one'],
      [b, 'two'],
    ]);
    expect(got[0]).toMatchObject({
      platform: 'memory',
      sentAt: 1_700_000_000_000,
      author: { id: 'u1', name: 'Ann', isBot: false },
    });
    expect(got[1]!.replyToMessageId).toBe(a);
    await channel.stop();
  });

  it('delivers one message at a time even when the handler is slow', async () => {
    const channel = createMemoryChannel();
    let active = 0;
    let maxActive = 0;
    await channel.start(async () => {
      active += 1;
      maxActive = Math.max(maxActive, active);
      await new Promise((resolve) => setImmediate(resolve));
      active -= 1;
    });
    for (let i = 0; i < 5; i++) channel.postAsHuman(`m${i}`);
    await channel.idle();
    expect(maxActive).toBe(1);
    await channel.stop();
  });

  it('fails the next n calls with the injected error, then recovers', async () => {
    const channel = createMemoryChannel();
    const error = new ChatError('429', { permanent: false, retryAfterMs: 1_000 });
    channel.failNext(2, error);
    await expect(channel.send({ text: 'x', nonce: 'n1' })).rejects.toBe(error);
    await expect(channel.edit({ messageId: '1' }, { text: 'y' })).rejects.toBe(error);
    const sent = await channel.send({ text: 'x', nonce: 'n1' });
    expect(channel.transcript().map((e) => e.messageId)).toEqual([sent.messageId]);
  });

  it('refuses text over the limit and oversized attachments as permanent errors', async () => {
    const channel = createMemoryChannel({ limits: { maxTextLength: 10, maxAttachmentBytes: 4 } });
    expect(channel.limits).toEqual({ maxTextLength: 10, maxAttachmentBytes: 4 });
    await expect(channel.send({ heading: 'abcde', text: 'fghijk', nonce: 'n' })).rejects.toMatchObject({
      permanent: true,
    });
    await expect(
      channel.send({ text: 'ok', nonce: 'n', attachment: { fileName: 'a.bin', content: Buffer.alloc(5) } }),
    ).rejects.toMatchObject({ permanent: true });
    await expect(channel.send({ heading: 'abcde', text: 'fghij', nonce: 'n' })).resolves.toHaveProperty(
      'messageId',
    );
  });

  it("refuses to edit unknown messages and people's messages", async () => {
    const channel = createMemoryChannel();
    const human = channel.postAsHuman('mine');
    await expect(channel.edit({ messageId: human }, { text: 'x' })).rejects.toBeInstanceOf(ChatError);
    await expect(channel.edit({ messageId: '999' }, { text: 'x' })).rejects.toBeInstanceOf(ChatError);
  });

  it('records nonces, speakers, closed details and counts only real edits', async () => {
    const channel = createMemoryChannel();
    const main = await channel.send({
      heading: 'T-1 queued',
      text: 'title',
      nonce: 'a',
      speaker: 'designer-001',
    });
    await channel.edit(main, { heading: 'T-1 queued', text: 'title' });
    await channel.edit(main, { text: 'no heading now' });
    await channel.closeDetails({ messageId: main.messageId, taskId: 'T-1', title: 'title' });
    const [entry] = channel.transcript();
    expect(entry).toMatchObject({ nonce: 'a', speaker: 'designer-001', text: 'no heading now', edits: 1 });
    expect(entry!.heading).toBeUndefined();
    expect(channel.closedDetails()).toEqual(['T-1']);
  });

  it('refuses a second start while running', async () => {
    const channel = createMemoryChannel();
    await channel.start(async () => {});
    await expect(channel.start(async () => {})).rejects.toThrow(/already started/);
    await channel.stop();
    expect(channel.isStarted).toBe(false);
  });
});
