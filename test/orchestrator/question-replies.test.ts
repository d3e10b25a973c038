/**
 * Questions and replies under a backlog: a question never hides inside a digest (a reply to a
 * digest could not find it), and a reply to a swarm message that answers nothing says how to answer
 * rather than vanishing. Plain chat between people gets no such reply.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createMemoryChannel, type MemoryChannel } from '../../src/chat/memory-channel.ts';
import { silentLogger } from '../../src/core/logger.ts';
import type { Ledger } from '../../src/ledger/ledger.ts';
import { buildDigests } from '../../src/orchestrator/digest.ts';
import { Orchestrator } from '../../src/orchestrator/orchestrator.ts';
import { tempLedger } from '../support/temp-ledger.ts';
import { waitFor } from '../support/wait-for.ts';

const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (stops.length) await stops.pop()!();
});

const ADMIN = { userIds: ['alice'], roleIds: [], everyone: false };

async function startSwarm(ledger: Ledger, port: MemoryChannel, poster = {}): Promise<Orchestrator> {
  const orch = new Orchestrator({ ledger, port, channel: 'main', admins: ADMIN, log: silentLogger, poster });
  await orch.start();
  stops.push(() => orch.stop());
  return orch;
}

/** A backlog of 30 new tasks with one blocked on a question among them, written before the swarm starts. */
function backlogWithQuestion(ledger: Ledger): { taskId: string; attempt: number } {
  for (let i = 0; i < 15; i++) ledger.createTask({ title: `early ${i}` }, 'cli');
  const asking = ledger.createTask({ title: 'paint the shed' }, 'cli').task;
  const claim = ledger.claimTask(asking.id, { id: 'painter-1', skills: [] });
  if (claim.kind !== 'claimed') throw new Error(`claim failed: ${claim.kind}`);
  ledger.ask({ taskId: asking.id, attempt: claim.attempt, agentId: 'painter-1' }, 'which colour?');
  for (let i = 0; i < 15; i++) ledger.createTask({ title: `late ${i}` }, 'cli');
  return { taskId: asking.id, attempt: claim.attempt };
}

describe('questions under a backlog', () => {
  it('the digest builder never takes a question row', () => {
    const ledger = tempLedger();
    backlogWithQuestion(ledger);
    const due = ledger.outbox.due('main', 100);
    const question = due.find((r) => r.payload.text.includes('which colour?'))!;
    expect(question.payload.awaitsReply).toBe(true);
    const plans = buildDigests(
      due,
      { taskOf: (id) => ledger.getTask(id), hasMainMessage: () => false },
      2_000,
    );
    expect(plans.length).toBeGreaterThan(0);
    for (const plan of plans) expect(plan.rowIds).not.toContain(question.id);
  });

  it('posts the question on its own while the rest is merged, and a reply to it answers', async () => {
    const ledger = tempLedger();
    const port = createMemoryChannel();
    const { taskId } = backlogWithQuestion(ledger);
    const orch = await startSwarm(ledger, port, { digestThreshold: 5 });
    expect(await orch.poster.drain(10_000)).toBe(0);
    const sent = port.transcript().filter((m) => m.fromSwarm);
    expect(sent.some((m) => m.heading?.includes('updates'))).toBe(true);
    // The status line shows the question too; the question itself is one message of its own.
    const questions = sent.filter((m) => m.text.startsWith('❓ which colour?'));
    expect(questions).toHaveLength(1);
    expect(
      sent.filter((m) => m.heading?.includes('updates') && m.text.includes('reply to this message')),
    ).toEqual([]);
    port.postAsHuman('teal', { authorId: 'alice', name: 'alice', replyTo: questions[0]!.messageId });
    await waitFor('answered', () => ledger.getTask(taskId)?.status === 'claimed');
    expect(await orch.poster.drain(10_000)).toBe(0);
    expect(ledger.audit().problems).toEqual([]);
  });

  it('a reply to a digest tells the person how to answer, naming the waiting task', async () => {
    const ledger = tempLedger();
    const port = createMemoryChannel();
    const { taskId } = backlogWithQuestion(ledger);
    const orch = await startSwarm(ledger, port, { digestThreshold: 5 });
    expect(await orch.poster.drain(10_000)).toBe(0);
    const digest = port.transcript().find((m) => m.fromSwarm && m.heading?.includes('updates'))!;
    const id = port.postAsHuman('blue', { authorId: 'alice', name: 'alice', replyTo: digest.messageId });
    const hint = await waitFor('hint', () => port.transcript().find((m) => m.replyToMessageId === id));
    expect(hint.text).toContain(`/answer ${taskId}`);
    expect(hint.text).toMatch(/reply to its ❓ message/);
    expect(ledger.getTask(taskId)!.status).toBe('blocked');
    await orch.poster.drain(5_000);
  });

  it('a reply to a task message that is not waiting says so; plain chat gets no reply', async () => {
    const ledger = tempLedger();
    const port = createMemoryChannel();
    const orch = await startSwarm(ledger, port);
    ledger.createTask({ title: 'just queued' }, 'cli');
    const main = await waitFor('main message', () =>
      port.transcript().find((m) => m.fromSwarm && m.heading?.includes('T-1')),
    );
    const reply = port.postAsHuman('any news?', { authorId: 'bob', name: 'bob', replyTo: main.messageId });
    const hint = await waitFor('hint', () => port.transcript().find((m) => m.replyToMessageId === reply));
    expect(hint.text).toMatch(/T-1 is not waiting for an answer \(it is queued\)/);
    expect(hint.text).toMatch(/No task is waiting for an answer/);

    const plain = port.postAsHuman('lunch anyone?', { authorId: 'bob', name: 'bob' });
    const toPerson = port.postAsHuman('yes', { authorId: 'alice', name: 'alice', replyTo: plain });
    await port.idle();
    await orch.poster.drain(5_000);
    const answers = port
      .transcript()
      .filter((m) => m.fromSwarm && (m.replyToMessageId === plain || m.replyToMessageId === toPerson));
    expect(answers).toEqual([]);
    const outcome = ledger.db.prepare('SELECT outcome FROM inbox WHERE message_id = ?').get(toPerson) as {
      outcome: string;
    };
    expect(outcome.outcome).toBe('ignored');
  });
});
