import { afterEach, describe, expect, it } from 'vitest';
import { AgentRuntime } from '../../src/agents/agent-runtime.ts';
import { createShellWorker } from '../../src/agents/shell-worker.ts';
import type { UsageBudgets } from '../../src/agents/usage-meter.ts';
import { createMemoryChannel, type MemoryChannel } from '../../src/chat/memory-channel.ts';
import { silentLogger } from '../../src/core/logger.ts';
import { utcDay } from '../../src/core/usage.ts';
import type { Ledger } from '../../src/ledger/ledger.ts';
import { Orchestrator } from '../../src/orchestrator/orchestrator.ts';
import { renderStatusUsage, statusUsage } from '../../src/commands/usage-view.ts';
import { expectAuditPasses } from '../support/expect-audit.ts';
import { tempDir, tempLedger } from '../support/temp-ledger.ts';
import { waitFor } from '../support/wait-for.ts';

const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (stops.length) await stops.pop()!();
});

const ADMIN = { userIds: ['alice'], roleIds: [], everyone: false };

async function startOrchestrator(ledger: Ledger, port: MemoryChannel): Promise<Orchestrator> {
  const orch = new Orchestrator({ ledger, port, channel: 'main', admins: ADMIN, log: silentLogger });
  await orch.start();
  stops.push(() => orch.stop());
  return orch;
}

function startAgent(ledger: Ledger, id: string, command: string, budgets: UsageBudgets = {}): AgentRuntime {
  const agent = new AgentRuntime(ledger, {
    id,
    skills: [],
    capacity: 1,
    worker: createShellWorker({ command, killGraceMs: 500 }),
    workRoot: tempDir(),
    log: silentLogger,
    budgets,
  });
  agent.start();
  stops.push(() => agent.stop());
  return agent;
}

/** A worker that reports $0.50 and 1,100 tokens every 20 ms, for ever (until it is stopped). */
const SPENDER = `while :; do echo '::usage {"input_tokens":1000,"output_tokens":100,"cost_usd":0.5,"model":"m-1"}'; sleep 0.02; done`;
/** A worker that reports $0.60 once and finishes. */
const ONE_STEP = `echo '::usage {"input_tokens":10,"output_tokens":5,"cost_usd":0.6}'; echo done`;

const texts = (port: MemoryChannel): string[] =>
  port
    .transcript()
    .filter((m) => m.fromSwarm)
    .map((m) => `${m.heading ?? ''} ${m.text}`);

describe('usage and budgets', () => {
  it('stops a worker whose growing cost reaches the task budget, fails the task, and says why in the chat', async () => {
    const ledger = tempLedger();
    const port = createMemoryChannel();
    const orch = await startOrchestrator(ledger, port);
    port.postAsHuman('/task Spend money budget=$2 attempts=3', { authorId: 'alice', name: 'alice' });
    await waitFor('task created', () => ledger.getTask('T-1'));
    expect(ledger.usage.taskBudget('T-1')).toEqual({ usd: 2 });
    startAgent(ledger, 'spender', SPENDER);

    await waitFor('failed', () => ledger.getTask('T-1')?.status === 'failed', 20_000);
    const task = ledger.getTask('T-1')!;
    // Failed for good on the first attempt: another attempt would only spend more.
    expect(task.attempt).toBe(1);
    expect(task.lastError).toMatch(/^budget exceeded: T-1 spent \$\d+\.\d\d of \$2\.00/);
    const spent = ledger.usage.task('T-1');
    expect(spent.costUsd).toBeGreaterThanOrEqual(2);
    // Stopped at the report that crossed it (a report or two may still be in the pipe).
    expect(spent.costUsd).toBeLessThan(4);
    expect(spent.model).toBe('m-1');

    expect(await orch.poster.drain(10_000)).toBe(0);
    const said = texts(port).join('\n');
    expect(said).toMatch(/❌ failed after attempt 1: budget exceeded: T-1 spent/);
    expect(said).toMatch(/💰 \$\d+\.\d\d · \d+(\.\d)?k in \/ \d+ out/);
    await expectAuditPasses(ledger);
  });

  it('shows what a failed attempt cost under its retry message', async () => {
    const ledger = tempLedger();
    const port = createMemoryChannel();
    const orch = await startOrchestrator(ledger, port);
    startAgent(
      ledger,
      'flaky',
      `echo '::usage {"input_tokens":1200,"output_tokens":300,"cost_usd":0.25}'; echo broken >&2; exit 1`,
    );
    ledger.createTask({ title: 'fails once', maxAttempts: 2 }, 'test');
    await waitFor('the retry message', () => texts(port).find((t) => t.includes('attempt 1 failed')));
    await orch.poster.drain(10_000);
    const retry = texts(port).find((t) => t.includes('attempt 1 failed'))!;
    expect(retry).toMatch(/retrying in .*\n💰 \$0\.25 · 1\.2k in \/ 300 out/s);
  });

  it('counts the budget afresh after a person retries the task', async () => {
    const ledger = tempLedger();
    ledger.createTask({ title: 'spend', budget: { usd: 1 } }, 'test');
    const agent = startAgent(ledger, 'spender', SPENDER);
    await waitFor('failed', () => ledger.getTask('T-1')?.status === 'failed', 20_000);
    await waitFor('idle', () => agent.busy === 0);
    const first = ledger.usage.task('T-1').costUsd;
    ledger.retry('T-1', 'alice');
    await waitFor(
      'failed again',
      () => {
        const t = ledger.getTask('T-1');
        return t?.status === 'failed' && t.attempt === 2;
      },
      20_000,
    );
    // The second attempt ran (it spent its own budget) instead of failing at once on the old spending.
    expect(ledger.usage.attempt('T-1', 2).costUsd).toBeGreaterThanOrEqual(1);
    expect(ledger.usage.task('T-1').costUsd).toBeGreaterThan(first);
  });

  it('holds an agent that used up its daily budget: the next task is not claimed, and status and the chat say why', async () => {
    const ledger = tempLedger();
    const port = createMemoryChannel();
    const orch = await startOrchestrator(ledger, port);
    ledger.createTask({ title: 'first' }, 'test');
    ledger.createTask({ title: 'second' }, 'test');
    ledger.createTask({ title: 'third' }, 'test');
    const agent = startAgent(ledger, 'coder-001', ONE_STEP, { agentPerDay: { usd: 1 } });

    // First task: $0.60, within the day's $1. Second: reaches $1.20, stopped and given back.
    await waitFor('first done', () => ledger.getTask('T-1')?.status === 'done');
    await waitFor('hold recorded', () => ledger.usage.holds(utcDay(Date.now())).length === 1, 20_000);
    await waitFor('idle', () => agent.busy === 0);
    const hold = ledger.usage.holds(utcDay(Date.now()))[0]!;
    expect(hold).toMatchObject({ scope: 'agent', subject: 'coder-001' });
    expect(hold.reason).toMatch(/coder-001 spent \$1\.20 of \$1\.00 of its daily budget/);
    // Nothing more is claimed while the hold lasts (the runtime tries every second).
    await new Promise((r) => setTimeout(r, 1_500));
    expect(ledger.getTask('T-3')?.status).toBe('queued');
    expect(ledger.getTask('T-3')?.attempt).toBe(0);
    const second = ledger.getTask('T-2')!;
    expect(second.status === 'queued' || second.status === 'done').toBe(true);
    // The day's figures and the reason are on the board.
    const board = renderStatusUsage(statusUsage(ledger, Date.now()));
    expect(board).toMatch(/cost today \(\d{4}-\d\d-\d\d UTC\): \$1\.20/);
    expect(board).toMatch(/coder-001 not claiming: budget exceeded: coder-001 spent/);
    expect(await orch.poster.drain(10_000)).toBe(0);
    expect(texts(port).join('\n')).toMatch(/⛔ budget exceeded: coder-001 spent \$1\.20/);
    // The hold is said once a day, however often the agent looks for work.
    expect(ledger.events().filter((e) => e.type === 'budget_hold')).toHaveLength(1);
    await expectAuditPasses(ledger);
  });

  it('prices tokens with the agent pricing when the worker reports no cost', async () => {
    const ledger = tempLedger();
    ledger.createTask({ title: 'tokens only' }, 'test');
    startAgent(
      ledger,
      'a1',
      `echo '::usage {"input_tokens":2000000,"cached_input_tokens":1000000,"output_tokens":100000}'; echo ok`,
      {
        pricing: { inputUsdPerMTok: 3, cachedInputUsdPerMTok: 0.3, outputUsdPerMTok: 15 },
      },
    );
    await waitFor('done', () => ledger.getTask('T-1')?.status === 'done');
    // 1M fresh input at $3 + 1M cached at $0.30 + 0.1M output at $15.
    expect(ledger.usage.task('T-1').costUsd).toBeCloseTo(3 + 0.3 + 1.5, 6);
    const done = ledger.events({ taskId: 'T-1' }).find((e) => e.type === 'task_done')!;
    expect(done.data.usage).toMatchObject({ inputTokens: 2_000_000, outputTokens: 100_000, costUsd: 4.8 });
  });

  it('ignores a malformed ::usage line and keeps it out of the result', async () => {
    const ledger = tempLedger();
    ledger.createTask({ title: 'bad usage' }, 'test');
    startAgent(ledger, 'a1', `echo '::usage {"input_tokens":-5}'; echo '::usage nope'; echo result`);
    await waitFor('done', () => ledger.getTask('T-1')?.status === 'done');
    expect(ledger.getTask('T-1')!.result).toBe('result');
    expect(ledger.usage.task('T-1').reports).toBe(0);
  });
});
