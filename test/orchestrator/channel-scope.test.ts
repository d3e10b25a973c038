/**
 * One ledger mirrored to two channels, each with its orchestrator, whose chats number messages
 * independently (as Telegram groups do): the same message id is a different message in each. What a
 * person does in one channel must act on that channel's messages only.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createMemoryChannel, type MemoryChannel } from '../../src/chat/memory-channel.ts';
import { silentLogger } from '../../src/core/logger.ts';
import type { Ledger } from '../../src/ledger/ledger.ts';
import { Orchestrator } from '../../src/orchestrator/orchestrator.ts';
import { blockedTask, tempLedger } from '../support/temp-ledger.ts';
import { waitFor } from '../support/wait-for.ts';

const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (stops.length) await stops.pop()!();
});

const ADMIN = { userIds: ['alice'], roleIds: [], everyone: false };
const alice = { authorId: 'alice', name: 'alice' };

interface Side {
  port: MemoryChannel;
  orch: Orchestrator;
}

/**
 * T-1 is mirrored to channel a only and T-2 to channel b only, each blocked on a question, then
 * both channels go live. The two chats show the same sequence of messages, so T-1's messages in a
 * and T-2's in b carry the same ids.
 */
async function twoChannels(): Promise<{ ledger: Ledger; a: Side; b: Side }> {
  const ledger = tempLedger();
  ledger.setChannels(['a']);
  blockedTask(ledger, 'paint the shed');
  ledger.setChannels(['b']);
  blockedTask(ledger, 'mow the lawn');
  const side = async (channel: string): Promise<Side> => {
    const port = createMemoryChannel({ channelId: `chat-${channel}` });
    const orch = new Orchestrator({ ledger, port, channel, admins: ADMIN, log: silentLogger });
    await orch.start();
    stops.push(() => orch.stop());
    return { port, orch };
  };
  const a = await side('a');
  const b = await side('b');
  // Each orchestrator names only its own channel at start; the swarm mirrors to both from now on.
  ledger.setChannels(['a', 'b']);
  expect(await a.orch.poster.drain(10_000)).toBe(0);
  expect(await b.orch.poster.drain(10_000)).toBe(0);
  return { ledger, a, b };
}

const question = (port: MemoryChannel, title: string) =>
  port.transcript().find((m) => m.fromSwarm && m.text.startsWith(`❓ ${title}?`))!;
const mainMessage = (port: MemoryChannel, taskId: string) =>
  port.transcript().find((m) => m.fromSwarm && m.heading?.includes(`${taskId} ·`))!;

/** Waits until the orchestrator has recorded what it made of a person's message. */
const handled = (ledger: Ledger, chat: string, messageId: string) =>
  waitFor(`message ${messageId} in ${chat} handled`, () =>
    ledger.db
      .prepare('SELECT outcome FROM inbox WHERE chat_id = ? AND message_id = ? AND outcome IS NOT NULL')
      .get(chat, messageId),
  );

describe('two channels of one swarm with colliding message ids', () => {
  it('a reply to the question in channel b answers b’s task, not a’s', async () => {
    const { ledger, a, b } = await twoChannels();
    const inA = question(a.port, 'paint the shed');
    const inB = question(b.port, 'mow the lawn');
    expect(inB.messageId).toBe(inA.messageId);

    const reply = b.port.postAsHuman('only on Sunday', { ...alice, replyTo: inB.messageId });
    await handled(ledger, 'chat-b', reply);
    expect(ledger.getTask('T-2')!.status).toBe('claimed');
    expect(ledger.getTask('T-1')!.status).toBe('blocked');
    expect(await b.orch.poster.drain(10_000)).toBe(0);
    const answers = b.port.transcript().filter((m) => m.fromSwarm && m.text.startsWith('answer from'));
    expect(answers.map((m) => [m.underMessageId, m.text])).toEqual([
      [mainMessage(b.port, 'T-2').messageId, 'answer from alice: only on Sunday'],
    ]);

    const replyA = a.port.postAsHuman('blue', { ...alice, replyTo: inA.messageId });
    await handled(ledger, 'chat-a', replyA);
    expect(ledger.getTask('T-1')!.status).toBe('claimed');
  });

  it('a command in a task’s thread in channel b is answered in that thread, not under a’s task', async () => {
    const { ledger, a, b } = await twoChannels();
    const mainB = mainMessage(b.port, 'T-2');
    expect(mainMessage(a.port, 'T-1').messageId).toBe(mainB.messageId);

    const command = b.port.postAsHuman('/status T-2', { ...alice, under: mainB.messageId });
    await handled(ledger, 'chat-b', command);
    expect(await b.orch.poster.drain(10_000)).toBe(0);
    const reply = b.port.transcript().find((m) => m.fromSwarm && m.replyToMessageId === command)!;
    expect(reply.underMessageId).toBe(mainB.messageId);
    // Channel b never shows T-1: nothing posted its main message there.
    expect(mainMessage(b.port, 'T-1')).toBeUndefined();
  });
});
