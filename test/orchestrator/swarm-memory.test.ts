import { afterEach, describe, expect, it } from 'vitest';
import { AgentRuntime } from '../../src/agents/agent-runtime.ts';
import { createFunctionWorker } from '../../src/agents/function-worker.ts';
import { createMemoryChannel, type MemoryChannel } from '../../src/chat/memory-channel.ts';
import { ChatError } from '../../src/core/errors.ts';
import { silentLogger } from '../../src/core/logger.ts';
import type { Ledger } from '../../src/ledger/ledger.ts';
import { Orchestrator } from '../../src/orchestrator/orchestrator.ts';
import { tempDir, tempLedger } from '../support/temp-ledger.ts';
import { waitFor } from '../support/wait-for.ts';

const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (stops.length) await stops.pop()!();
});

const ADMIN = { userIds: ['alice'], roleIds: [], everyone: false };

async function startSwarm(ledger: Ledger, port: MemoryChannel, poster = {}) {
  const orch = new Orchestrator({ ledger, port, channel: 'main', admins: ADMIN, log: silentLogger, poster });
  await orch.start();
  stops.push(() => orch.stop());
  return orch;
}

function startAgent(
  ledger: Ledger,
  id: string,
  skills: string[],
  fn: Parameters<typeof createFunctionWorker>[0],
) {
  const agent = new AgentRuntime(ledger, {
    id,
    skills,
    capacity: 1,
    worker: createFunctionWorker(fn),
    workRoot: tempDir(),
    log: silentLogger,
  });
  agent.start();
  stops.push(() => agent.stop());
  return agent;
}

describe('swarm on the memory channel', () => {
  it('runs a task a person creates, mirrors claim and result under the task message, and passes audit', async () => {
    const ledger = tempLedger();
    const port = createMemoryChannel();
    const orch = await startSwarm(ledger, port);
    startAgent(ledger, 'coder-1', ['code'], (ctx) => `built ${ctx.task.title}`);
    port.postAsHuman('/task Build the parser skills=code', { authorId: 'alice', name: 'alice' });
    await waitFor('task done', () => ledger.getTask('T-1')?.status === 'done');
    expect(await orch.poster.drain(10_000)).toBe(0);
    const t = port.transcript().filter((m) => m.fromSwarm);
    const main = t.find((m) => m.heading?.includes('T-1'))!;
    expect(main.heading).toContain('✅');
    // Status changes collapse into the one main message: never a second one for the same task.
    expect(t.filter((m) => m.heading?.includes('T-1 ·'))).toHaveLength(1);
    const details = t.filter((m) => m.underMessageId === main.messageId).map((m) => m.text);
    expect(details.some((d) => d.includes('claimed'))).toBe(true);
    expect(details.some((d) => d.includes('built Build the parser'))).toBe(true);
    expect(port.closedDetails()).toContain('T-1');
    expect(ledger.outbox.taskMessage('T-1', 'main')!.threadId).toBe(main.messageId);
    expect(ledger.audit().problems).toEqual([]);
  });

  it('refuses an unauthorised cancel and tells the person why', async () => {
    const ledger = tempLedger();
    const port = createMemoryChannel();
    const orch = await startSwarm(ledger, port);
    ledger.createTask({ title: 'keep me' }, 'cli');
    const id = port.postAsHuman('/cancel T-1', { authorId: 'mallory', name: 'mallory' });
    await waitFor('refusal', () => port.transcript().find((m) => m.replyToMessageId === id));
    expect(ledger.getTask('T-1')!.status).toBe('queued');
    const reply = port.transcript().find((m) => m.replyToMessageId === id)!;
    expect(reply.text).toMatch(/needs an admin/);
    await orch.poster.drain(5_000);
  });

  it('answers a malformed command with what was wrong and the right form', async () => {
    const ledger = tempLedger();
    const port = createMemoryChannel();
    await startSwarm(ledger, port);
    const id = port.postAsHuman('/priority T-1 high', { authorId: 'alice', name: 'alice' });
    const reply = await waitFor('reply', () => port.transcript().find((m) => m.replyToMessageId === id));
    expect(reply.text).toMatch(/priority/);
    expect(reply.text).toMatch(/\/priority <task>/);
  });

  it('applies a redelivered message once', async () => {
    const ledger = tempLedger();
    const port = createMemoryChannel();
    const orch = await startSwarm(ledger, port);
    const msg = {
      platform: 'memory',
      channelId: 'c',
      messageId: 'm-1',
      author: { id: 'alice', name: 'alice', isBot: false },
      text: '/task Only once',
      sentAt: Date.now(),
    };
    await orch.onMessage(msg);
    await orch.onMessage(msg);
    expect(ledger.listTasks()).toHaveLength(1);
    // The same message number in another chat is another message (Telegram numbers per chat).
    await orch.onMessage({ ...msg, channelId: 'other-chat', text: '/task In another chat' });
    expect(ledger.listTasks()).toHaveLength(2);
  });

  it('answers an agent question through a reply to the question message', async () => {
    const ledger = tempLedger();
    const port = createMemoryChannel();
    const orch = await startSwarm(ledger, port);
    startAgent(ledger, 'writer-1', [], async (ctx) => `colour is ${await ctx.ask('which colour?')}`);
    ledger.createTask({ title: 'paint' }, 'cli');
    const question = await waitFor('question posted', () =>
      port.transcript().find((m) => m.text.includes('which colour?')),
    );
    port.postAsHuman('teal', { authorId: 'alice', name: 'alice', replyTo: question.messageId });
    await waitFor('done', () => ledger.getTask('T-1')?.status === 'done');
    expect(ledger.getTask('T-1')!.result).toBe('colour is teal');
    await orch.poster.drain(5_000);
    expect(ledger.audit().problems).toEqual([]);
  });

  it('retries transient post failures and marks permanent ones failed with the reason', async () => {
    const ledger = tempLedger();
    const port = createMemoryChannel();
    port.failNext(2, new ChatError('flood', { permanent: false, retryAfterMs: 50 }));
    const orch = await startSwarm(ledger, port, { maxRetryDelayMs: 200 });
    ledger.createTask({ title: 'shown eventually' }, 'cli');
    await waitFor('posted', () => port.transcript().find((m) => m.heading?.includes('shown eventually')));
    port.failNext(1, new ChatError('chat not found', { permanent: true }));
    ledger.addNote('T-1', 'a note', 'cli');
    await orch.poster.drain(5_000);
    const failed = ledger.db.prepare("SELECT last_error FROM outbox WHERE status = 'failed'").all() as {
      last_error: string;
    }[];
    expect(failed.map((f) => f.last_error)).toEqual(['chat not found']);
    expect(
      ledger
        .audit()
        .problems.map((p) => p.problem)
        .join(),
    ).toMatch(/failed to post: chat not found/);
  });

  it('merges a backlog into digest messages and still mirrors every event', async () => {
    const ledger = tempLedger();
    const port = createMemoryChannel();
    for (let i = 0; i < 40; i++) ledger.createTask({ title: `bulk ${i}` }, 'cli');
    const orch = await startSwarm(ledger, port, { digestThreshold: 5 });
    expect(await orch.poster.drain(10_000)).toBe(0);
    const sent = port.transcript().filter((m) => m.fromSwarm);
    expect(sent.length).toBeLessThan(40);
    expect(sent.some((m) => m.heading?.includes('updates'))).toBe(true);
    const all = sent.map((m) => `${m.heading ?? ''}\n${m.text}`).join('\n');
    for (let i = 0; i < 40; i++) expect(all).toContain(`bulk ${i}`);
    expect(ledger.audit().problems).toEqual([]);
  });

  it('keeps the swarm working when the platform is unreachable at start, and connects later', async () => {
    const ledger = tempLedger();
    const port = createMemoryChannel();
    let refusals = 1;
    const realStart = port.start.bind(port);
    port.start = async (handler) => {
      if (refusals-- > 0) throw new ChatError('network down', { permanent: false });
      return realStart(handler);
    };
    const orch = await startSwarm(ledger, port);
    startAgent(ledger, 'coder-1', [], () => 'worked offline');
    ledger.createTask({ title: 'during the outage' }, 'cli');
    await waitFor('task done while disconnected', () => ledger.getTask('T-1')?.status === 'done');
    expect(port.isStarted).toBe(false);
    await waitFor('connected on retry', () => port.isStarted, 10_000);
    port.postAsHuman('/task after reconnect', { authorId: 'alice', name: 'alice' });
    await waitFor('command applied', () => ledger.getTask('T-2'));
    expect(await orch.poster.drain(10_000)).toBe(0);
  });

  it('fails start with the reason when the platform refuses for good', async () => {
    const ledger = tempLedger();
    const port = createMemoryChannel();
    port.start = async () => {
      throw new ChatError('chat not found', { permanent: true });
    };
    const orch = new Orchestrator({ ledger, port, channel: 'main', admins: ADMIN, log: silentLogger });
    await expect(orch.start()).rejects.toThrow(/chat not found/);
  });

  it('answers a command typed inside a task thread in that thread', async () => {
    const ledger = tempLedger();
    const port = createMemoryChannel();
    const orch = await startSwarm(ledger, port);
    ledger.createTask({ title: 'threaded' }, 'cli');
    const main = await waitFor('main message', () =>
      port.transcript().find((m) => m.heading?.includes('T-1 ·')),
    );
    const id = port.postAsHuman('/priority T-1 urgent', {
      authorId: 'alice',
      name: 'alice',
      under: main.messageId,
    });
    const reply = await waitFor('reply', () => port.transcript().find((m) => m.replyToMessageId === id));
    expect(reply.underMessageId).toBe(main.messageId);
    expect(reply.text).toMatch(/priority must be a whole number/);
    await orch.poster.drain(5_000);
  });

  it('takes a reply that beats the recording of the question message as the answer', async () => {
    const ledger = tempLedger();
    const port = createMemoryChannel();
    const realSend = port.send.bind(port);
    port.send = async (message) => {
      const sent = await realSend(message);
      // The person replies before the poster has recorded the question's id.
      if (message.text.includes('which size?'))
        port.postAsHuman('large', { authorId: 'alice', name: 'alice', replyTo: sent.messageId });
      return sent;
    };
    const orch = await startSwarm(ledger, port);
    startAgent(ledger, 'writer-1', [], async (ctx) => `size is ${await ctx.ask('which size?')}`);
    ledger.createTask({ title: 'order' }, 'cli');
    await waitFor('done', () => ledger.getTask('T-1')?.status === 'done', 10_000);
    expect(ledger.getTask('T-1')!.result).toBe('size is large');
    await orch.poster.drain(5_000);
  });

  it('does not hold back ordinary replies between people', async () => {
    const ledger = tempLedger();
    const port = createMemoryChannel();
    const orch = await startSwarm(ledger, port);
    const first = port.postAsHuman('hello all', { authorId: 'bob', name: 'bob' });
    await port.idle();
    const reply = port.postAsHuman('hi bob', { authorId: 'alice', name: 'alice', replyTo: first });
    await port.idle();
    const row = ledger.db.prepare('SELECT outcome FROM inbox WHERE message_id = ?').get(reply) as {
      outcome: string;
    };
    expect(row.outcome).toBe('ignored');
    await orch.poster.drain(2_000);
  });
});
