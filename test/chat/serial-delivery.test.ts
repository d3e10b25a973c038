import { describe, expect, it } from 'vitest';
import type { IncomingMessage } from '../../src/chat/chat-port.ts';
import { createSerialDelivery } from '../../src/chat/serial-delivery.ts';
import { silentLogger } from '../../src/core/logger.ts';

const msg = (id: string): IncomingMessage => ({
  platform: 'test',
  channelId: 'c',
  messageId: id,
  author: { id: 'u', name: 'u', isBot: false },
  text: id,
  sentAt: 0,
});

describe('serial delivery', () => {
  it('delivers one at a time in order, queues while detached, and survives a throwing handler', async () => {
    const d = createSerialDelivery(silentLogger, 'test');
    const seen: string[] = [];
    let inFlight = 0;
    d.push(msg('1'));
    d.attach(async (m) => {
      inFlight++;
      expect(inFlight).toBe(1);
      await new Promise((r) => setTimeout(r, 5));
      seen.push(m.messageId);
      inFlight--;
      if (m.messageId === '2') throw new Error('bad message');
    });
    d.push(msg('2'));
    d.push(msg('3'));
    await d.idle();
    expect(seen).toEqual(['1', '2', '3']);
    d.attach(undefined);
    d.push(msg('4'));
    await d.idle();
    expect(seen).toEqual(['1', '2', '3']);
    d.attach(async (m) => void seen.push(m.messageId));
    await d.idle();
    expect(seen).toEqual(['1', '2', '3', '4']);
  });

  it('starts a new round for a message pushed the moment the previous round ends', async () => {
    const d = createSerialDelivery(silentLogger, 'test');
    const seen: string[] = [];
    d.attach((m) => {
      seen.push(m.messageId);
      // Push from inside the last delivery of a round, synchronously.
      if (m.messageId === 'a') queueMicrotask(() => d.push(msg('b')));
      return Promise.resolve();
    });
    d.push(msg('a'));
    await new Promise((r) => setTimeout(r, 20));
    await d.idle();
    expect(seen).toEqual(['a', 'b']);
  });
});
