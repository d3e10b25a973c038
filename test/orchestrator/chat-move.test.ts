/**
 * A swarm moved to another chat (its config now names another group, or Telegram migrated the group
 * to a supergroup): message ids name messages of one chat only, so the ids the ledger holds for the
 * old chat must never be edited in the new one, where they are other messages.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { ChatPort } from '../../src/chat/chat-port.ts';
import { createMemoryChannel, type MemoryChannel } from '../../src/chat/memory-channel.ts';
import { silentLogger } from '../../src/core/logger.ts';
import { CHECKPOINT_MESSAGE_KEY, archivedChannel } from '../../src/ledger/chat-destination.ts';
import type { Ledger } from '../../src/ledger/ledger.ts';
import { DestinationWatch } from '../../src/orchestrator/destination-watch.ts';
import { Orchestrator } from '../../src/orchestrator/orchestrator.ts';
import { blockedTask, tempLedger } from '../support/temp-ledger.ts';
import { waitFor } from '../support/wait-for.ts';

const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (stops.length) await stops.pop()!();
});

const ADMIN = { userIds: ['alice'], roleIds: [], everyone: false };

async function orchestrate(ledger: Ledger, port: MemoryChannel): Promise<Orchestrator> {
  const orch = new Orchestrator({ ledger, port, channel: 'main', admins: ADMIN, log: silentLogger });
  await orch.start();
  stops.push(() => orch.stop());
  return orch;
}

const mainMessage = (port: MemoryChannel, taskId: string) =>
  port.transcript().find((m) => m.fromSwarm && m.heading?.includes(`${taskId} ·`));

const taskMessageRows = (ledger: Ledger) =>
  ledger.db.prepare('SELECT task_id, channel, message_id FROM task_messages ORDER BY task_id, channel').all();

describe('a swarm moved to another chat', () => {
  it('posts a task’s next status as a new message there, never editing the old chat’s ids', async () => {
    const ledger = tempLedger();
    const chatA = createMemoryChannel({ channelId: 'chat-a' });
    const a = await orchestrate(ledger, chatA);
    ledger.createTask({ title: 'paint the shed' }, 'alice');
    expect(await a.poster.drain(10_000)).toBe(0);
    const inA = mainMessage(chatA, 'T-1')!;
    await a.stop();
    // A checkpoint message the old chat had pinned: its id means nothing in the new chat either.
    ledger.setKv(CHECKPOINT_MESSAGE_KEY, JSON.stringify({ messageId: inA.messageId }));

    const chatB = createMemoryChannel({ channelId: 'chat-b' });
    const b = await orchestrate(ledger, chatB);
    expect(ledger.getKv(CHECKPOINT_MESSAGE_KEY)).toBeUndefined();
    ledger.createTask({ title: 'mow the lawn' }, 'alice');
    expect(await b.poster.drain(10_000)).toBe(0);
    // The new chat numbers its messages afresh: T-2's message there has T-1's id in the old chat.
    const t2 = mainMessage(chatB, 'T-2')!;
    expect(t2.messageId).toBe(inA.messageId);

    ledger.cancel('T-1', 'alice', 'not this year');
    expect(await b.poster.drain(10_000)).toBe(0);
    expect(mainMessage(chatB, 'T-2')).toMatchObject({ messageId: t2.messageId, edits: 0 });
    const t1 = mainMessage(chatB, 'T-1');
    expect(t1).toBeDefined();
    expect(t1!.messageId).not.toBe(inA.messageId);
    expect(ledger.outbox.taskMessage('T-1', 'main')?.messageId).toBe(t1!.messageId);
    // What the old chat showed is kept, under the channel's name for it.
    expect(taskMessageRows(ledger)).toEqual([
      { task_id: 'T-1', channel: 'main', message_id: t1!.messageId },
      { task_id: 'T-1', channel: archivedChannel('main', 'memory:chat-a'), message_id: inA.messageId },
      { task_id: 'T-2', channel: 'main', message_id: t2.messageId },
    ]);
  });

  it('a reply there to an id the swarm used in the old chat is no answer to its question', async () => {
    const ledger = tempLedger();
    const chatA = createMemoryChannel({ channelId: 'chat-a' });
    const a = await orchestrate(ledger, chatA);
    blockedTask(ledger, 'paint the shed');
    expect(await a.poster.drain(10_000)).toBe(0);
    const question = chatA.transcript().find((m) => m.fromSwarm && m.text.startsWith('❓ paint the shed?'))!;
    await a.stop();

    const chatB = createMemoryChannel({ channelId: 'chat-b' });
    await orchestrate(ledger, chatB);
    // People talk in the new chat until a message there carries the question's id from the old one.
    let id = '';
    while (Number(id) < Number(question.messageId))
      id = chatB.postAsHuman('hello', { authorId: 'bob', name: 'bob' });
    expect(id).toBe(question.messageId);
    const reply = chatB.postAsHuman('only on Sunday', { authorId: 'alice', name: 'alice', replyTo: id });
    await waitFor(`reply ${reply} handled`, () =>
      ledger.db
        .prepare("SELECT 1 FROM inbox WHERE chat_id = 'chat-b' AND message_id = ? AND outcome IS NOT NULL")
        .get(reply),
    );
    expect(ledger.getTask('T-1')!.status).toBe('blocked');
  });

  it('a main message the port sent into the chat it just followed is recorded as that chat’s', async () => {
    const ledger = tempLedger();
    const chat = createMemoryChannel({ channelId: 'chat-a' });
    let destination = 'memory:chat-a';
    // The port follows its chat elsewhere during a send (Telegram: the group was upgraded and the
    // message went to the supergroup), as the Telegram adapter does.
    const port = Object.create(chat, {
      destination: { get: () => destination },
      send: {
        value: async (message: Parameters<ChatPort['send']>[0]) => {
          const sent = await chat.send(message);
          destination = 'memory:chat-b';
          return sent;
        },
      },
    }) as MemoryChannel;
    const orch = await orchestrate(ledger, port);
    ledger.createTask({ title: 'paint the shed' }, 'alice');
    expect(await orch.poster.drain(10_000)).toBe(0);
    const heads = chat.transcript().filter((m) => m.fromSwarm && m.heading?.includes('T-1 ·'));
    expect(heads).toHaveLength(1);
    expect(ledger.outbox.taskMessage('T-1', 'main')?.messageId).toBe(heads[0]!.messageId);
  });

  it('a restart in the same chat keeps editing the same messages', async () => {
    const ledger = tempLedger();
    const chat = createMemoryChannel({ channelId: 'chat-a' });
    const first = await orchestrate(ledger, chat);
    ledger.createTask({ title: 'paint the shed' }, 'alice');
    expect(await first.poster.drain(10_000)).toBe(0);
    await first.stop();
    const second = await orchestrate(ledger, chat);
    ledger.cancel('T-1', 'alice');
    expect(await second.poster.drain(10_000)).toBe(0);
    const heads = chat.transcript().filter((m) => m.fromSwarm && m.heading?.includes('T-1 ·'));
    expect(heads).toHaveLength(1);
    expect(heads[0]!.edits).toBeGreaterThan(0);
  });
});

describe('DestinationWatch', () => {
  it('archives once per move, even back and forth, and retries a write that failed', () => {
    const ledger = tempLedger();
    const port = { destination: 'telegram:-100' };
    const watch = new DestinationWatch({
      ledger,
      port: port as unknown as ChatPort,
      channel: 'main',
      log: silentLogger,
    });
    const moved = (): string[] =>
      (
        ledger.db.prepare('SELECT channel FROM task_messages ORDER BY channel').all() as { channel: string }[]
      ).map((r) => r.channel);
    watch.follow();
    ledger.outbox.setTaskMessage('T-1', 'main', '7');
    watch.follow();
    expect(moved()).toEqual(['main']);

    // Telegram migrated the group to a supergroup: a new chat id.
    port.destination = 'telegram:-1009';
    watch.follow();
    expect(moved()).toEqual(['main@telegram:-100']);
    ledger.outbox.setTaskMessage('T-1', 'main', '3');
    port.destination = 'telegram:-100';
    watch.follow();
    ledger.outbox.setTaskMessage('T-1', 'main', '8');
    // Back again: the older archive of the same chat is replaced, nothing fails on the key.
    port.destination = 'telegram:-1009';
    watch.follow();
    expect(moved()).toEqual(['main@telegram:-100', 'main@telegram:-1009']);
    expect(ledger.outbox.taskMessage('T-1', 'main')).toBeUndefined();

    // A write that fails (the ledger closed under it) throws and is tried again on the next call.
    port.destination = 'telegram:-42';
    const adopt = ledger.outbox.adoptDestination.bind(ledger.outbox);
    let fail = true;
    ledger.outbox.adoptDestination = (channel, destination, source) => {
      if (fail) throw new Error('database is locked');
      return adopt(channel, destination, source);
    };
    expect(() => watch.follow()).toThrow('database is locked');
    fail = false;
    watch.follow();
    expect(ledger.getKv('chat_destination:main')).toBe('telegram:-42');
  });
});
