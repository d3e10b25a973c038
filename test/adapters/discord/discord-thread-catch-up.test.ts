/**
 * Catch-up inside a task's thread: a message a person posts in the thread while the adapter is
 * stopped, or while its gateway session is invalidated, arrives once, marked with the thread.
 */
import { afterEach, expect, it } from 'vitest';
import type { SentMessage } from '../../../src/chat/chat-port.ts';
import { createMessageCollector, waitFor } from '../../contract/message-collector.ts';
import { startDiscordKit, type DiscordKit } from './discord-test-kit.ts';

let kit: DiscordKit;
afterEach(async () => {
  expect(kit.fake.unknownRoutes).toEqual([]);
  await kit.close();
});

it('a message posted in an open task thread while stopped or during an invalidated drop is delivered once, with threadId', async () => {
  kit = await startDiscordKit();
  const first = kit.channel();
  const before = createMessageCollector();
  await first.start(before.handler);
  const main: SentMessage = await first.send({ heading: 'T-1 running', text: 'draw', nonce: 'main' });
  // A detail under the main message opens the task's thread (its id is the main message's id).
  await first.send({
    text: 'claimed',
    nonce: 'detail',
    under: { messageId: main.messageId, taskId: 'T-1', title: 'Draw' },
  });
  const thread = main.messageId;
  const live = kit.fake.post('alice', 'seen live', { channelId: thread });
  await before.waitForId(live, 10_000);
  await first.stop();

  const whileStopped = kit.fake.post('alice', '/note T-1 typed while the swarm was down', {
    channelId: thread,
  });
  const second = kit.channel();
  const inbox = createMessageCollector();
  await second.start(inbox.handler);
  const caughtUp = await inbox.waitForId(whileStopped, 20_000);
  expect(caughtUp).toMatchObject({ threadId: thread, channelId: kit.fake.channelId });
  expect(caughtUp.text).toBe('/note T-1 typed while the swarm was down');

  const identifiesBefore = kit.fake.gateway.counters.identifies;
  kit.fake.dropGateway({ invalidate: true });
  const duringDrop = kit.fake.post('alice', '/approve T-1 during the drop', { channelId: thread });
  const afterDrop = await inbox.waitForId(duringDrop, 20_000);
  expect(afterDrop.threadId).toBe(thread);
  await waitFor(
    're-identify',
    () => (kit.fake.gateway.counters.identifies > identifiesBefore ? true : undefined),
    20_000,
  );
  expect(kit.fake.gateway.counters.invalidSessions).toBeGreaterThanOrEqual(1);

  // A later live message in the thread shows the queue is drained; nothing came twice.
  const marker = kit.fake.post('alice', 'marker', { channelId: thread });
  await inbox.waitForId(marker, 10_000);
  expect(inbox.count(whileStopped)).toBe(1);
  expect(inbox.count(duringDrop)).toBe(1);
  expect(inbox.count(live)).toBe(0);
  expect(inbox.messages.every((m) => m.threadId === thread)).toBe(true);
});
