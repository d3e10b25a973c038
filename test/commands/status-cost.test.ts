import { afterEach, describe, expect, it } from 'vitest';
import { AgentRuntime } from '../../src/agents/agent-runtime.ts';
import { createFunctionWorker } from '../../src/agents/function-worker.ts';
import { createMemoryChannel, type MemoryChannel } from '../../src/chat/memory-channel.ts';
import { silentLogger } from '../../src/core/logger.ts';
import { Orchestrator } from '../../src/orchestrator/orchestrator.ts';
import { tempDir, tempLedger } from '../support/temp-ledger.ts';
import { waitFor } from '../support/wait-for.ts';

const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (stops.length) await stops.pop()!();
});

/** The swarm's reply to a person's message, once it is posted. */
function replyTo(port: MemoryChannel, messageId: string): Promise<string> {
  return waitFor(
    `the reply to ${messageId}`,
    () => port.transcript().find((m) => m.fromSwarm && m.replyToMessageId === messageId)?.text,
    10_000,
  );
}

describe('/status in the chat shows what the swarm spent', () => {
  it('shows today’s cost for the swarm and per agent, the daily budget hold, and a task’s cost per attempt', async () => {
    const ledger = tempLedger();
    const port = createMemoryChannel();
    const orch = new Orchestrator({
      ledger,
      port,
      channel: 'main',
      admins: { userIds: ['alice'], roleIds: [], everyone: false },
      log: silentLogger,
    });
    await orch.start();
    stops.push(() => orch.stop());
    const alice = { authorId: 'alice', name: 'Alice' };

    // Before anything is spent, /status says nothing about cost.
    const quiet = await replyTo(port, port.postAsHuman('/status', alice));
    expect(quiet).toContain('no tasks yet');
    expect(quiet).not.toMatch(/cost|not claiming/);

    for (const title of ['first', 'second', 'third']) ledger.createTask({ title }, 'test');
    // Each attempt reports $0.42 for 1,200 in and 300 out; the agent may spend $0.80 a day, so the
    // second attempt crosses it and the third task is never claimed.
    const runtime = new AgentRuntime(ledger, {
      id: 'coder-001',
      skills: [],
      capacity: 1,
      worker: createFunctionWorker((ctx) => {
        ctx.usage!({ inputTokens: 1_200, outputTokens: 300, costUsd: 0.42, model: 'm-1' });
        ctx.session!(`sess-${ctx.task.id}`);
        return 'done';
      }),
      workRoot: tempDir(),
      log: silentLogger,
      budgets: { agentPerDay: { usd: 0.8 } },
    });
    runtime.start();
    stops.push(() => runtime.stop());
    await waitFor('T-1 done', () => ledger.getTask('T-1')?.status === 'done');
    const day = await waitFor(
      'the hold',
      () => ledger.usage.holds(ledger.usage.byDay()[0]?.day ?? '')[0]?.day,
    );
    await waitFor('the agent idle', () => runtime.busy === 0);
    expect(ledger.getTask('T-3')?.status).toBe('queued');

    const status = await replyTo(port, port.postAsHuman('/status', { authorId: 'bob', name: 'Bob' }));
    expect(status).toContain(`cost today (${day} UTC): $0.84 · 2.4k in / 600 out`);
    expect(status).toContain('\n  coder-001: $0.84 · 2.4k in / 600 out');
    expect(status).toContain(
      `⛔ coder-001 not claiming: budget exceeded: coder-001 spent $0.84 of $0.80 of its daily budget (${day} UTC); not claiming until 00:00 UTC`,
    );

    const one = await replyTo(port, port.postAsHuman('/status T-1', alice));
    expect(one).toContain('\ncost: $0.42 · 1.2k in / 300 out (m-1)');
    expect(one).toContain('\n  attempt 1: $0.42 · 1.2k in / 300 out, session sess-T-1');
    expect(one).toContain('\nresult: done');
  });

  it('names at most eight agents in /status, the most expensive first, and counts the rest', async () => {
    const ledger = tempLedger();
    const port = createMemoryChannel();
    const orch = new Orchestrator({
      ledger,
      port,
      channel: 'main',
      admins: { userIds: [], roleIds: [], everyone: true },
      log: silentLogger,
    });
    await orch.start();
    stops.push(() => orch.stop());
    for (let i = 1; i <= 10; i++) {
      const id = `agent-${String(i).padStart(2, '0')}`;
      ledger.createTask({ title: `task ${i}`, assignee: id }, 'test');
      const claim = ledger.claimNext({ id, skills: [] });
      if (claim.kind !== 'claimed') throw new Error(`no claim for ${id}`);
      ledger.usage.record(
        { taskId: claim.task.id, attempt: claim.attempt, agentId: id },
        { inputTokens: 100 * i, outputTokens: 10 * i, costUsd: i / 100 },
      );
    }
    const status = await replyTo(port, port.postAsHuman('/status'));
    const agentLines = status.split('\n').filter((l) => l.startsWith('  agent-'));
    expect(agentLines.map((l) => l.split(':')[0]!.trim())).toEqual([
      'agent-10',
      'agent-09',
      'agent-08',
      'agent-07',
      'agent-06',
      'agent-05',
      'agent-04',
      'agent-03',
    ]);
    expect(status).toContain('\n  … and 2 more agents');
    expect(status).toMatch(/cost today \(\d{4}-\d\d-\d\d UTC\): \$0\.55 · 5\.5k in \/ 550 out/);
  });
});
