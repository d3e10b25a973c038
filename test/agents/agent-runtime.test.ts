import { existsSync } from 'node:fs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { AgentRuntime } from '../../src/agents/agent-runtime.ts';
import { createFunctionWorker, type WorkerFunction } from '../../src/agents/function-worker.ts';
import { createShellWorker } from '../../src/agents/shell-worker.ts';
import type { Worker } from '../../src/agents/worker.ts';
import { silentLogger } from '../../src/core/logger.ts';
import type { Ledger } from '../../src/ledger/ledger.ts';
import { tempDir, tempLedger } from '../support/temp-ledger.ts';
import { waitFor } from '../support/wait-for.ts';

const running: AgentRuntime[] = [];
afterEach(async () => {
  while (running.length) await running.pop()!.stop();
});

function agent(
  ledger: Ledger,
  worker: Worker,
  extra: Partial<ConstructorParameters<typeof AgentRuntime>[1]> = {},
) {
  const a = new AgentRuntime(ledger, {
    id: 'a1',
    skills: [],
    capacity: 1,
    worker,
    workRoot: tempDir(),
    log: silentLogger,
    ...extra,
  });
  a.start();
  running.push(a);
  return a;
}
const fn = (f: WorkerFunction) => createFunctionWorker(f);

describe('agent runtime', () => {
  it('stops a worker that runs past the task timeout and records the failure', async () => {
    const ledger = tempLedger({ retryBaseMs: 60_000 });
    ledger.createTask({ title: 'slow', timeoutMs: 1_000, maxAttempts: 1 }, 'test');
    agent(ledger, createShellWorker({ command: 'sleep 30', killGraceMs: 200 }));
    await waitFor('failed', () => ledger.getTask('T-1')?.status === 'failed', 15_000);
    expect(ledger.getTask('T-1')!.lastError).toMatch(/timed out after 1s/);
  });

  it('stops a running shell worker when a person cancels the task', async () => {
    const ledger = tempLedger();
    ledger.createTask({ title: 'cancel me' }, 'test');
    const dir = tempDir();
    agent(
      ledger,
      createShellWorker({
        command: `echo started > ${dir}/started; sleep 30; echo finished > ${dir}/late`,
        killGraceMs: 200,
      }),
    );
    await waitFor('worker started', () => existsSync(`${dir}/started`));
    ledger.cancel('T-1', 'alice', 'changed my mind');
    await waitFor(
      'attempt ended',
      () =>
        ledger.db.prepare("SELECT outcome FROM attempts WHERE task_id = 'T-1'").get() as
          { outcome: string } | undefined,
    );
    const a = running[0]!;
    await waitFor('worker stopped', () => a.busy === 0, 10_000);
    expect(ledger.getTask('T-1')!.status).toBe('cancelled');
    expect(existsSync(`${dir}/late`)).toBe(false);
    expect(ledger.events({ taskId: 'T-1' }).some((e) => e.type === 'stale_write_refused')).toBe(false);
  });

  it('releases running tasks without spending an attempt when it shuts down', async () => {
    const ledger = tempLedger();
    ledger.createTask({ title: 'interrupted', maxAttempts: 1 }, 'test');
    const a = agent(
      ledger,
      fn((ctx) => new Promise((resolve) => ctx.signal.addEventListener('abort', () => resolve('stopped')))),
    );
    await waitFor('claimed', () => ledger.getTask('T-1')?.status === 'claimed');
    running.pop();
    await a.stop();
    const t = ledger.getTask('T-1')!;
    expect(t.status).toBe('queued');
    // A new agent can still run it although maxAttempts is 1.
    agent(
      ledger,
      fn(() => 'second go'),
      { id: 'a2' },
    );
    await waitFor('done', () => ledger.getTask('T-1')?.status === 'done');
    expect(ledger.getTask('T-1')!.result).toBe('second go');
  });

  it('runs up to its capacity at once and no more', async () => {
    const ledger = tempLedger();
    for (let i = 0; i < 5; i++) ledger.createTask({ title: `p${i}` }, 'test');
    let concurrent = 0;
    let peak = 0;
    agent(
      ledger,
      fn(async () => {
        concurrent++;
        peak = Math.max(peak, concurrent);
        await new Promise((r) => setTimeout(r, 150));
        concurrent--;
        return 'ok';
      }),
      { capacity: 2 },
    );
    await waitFor('all done', () => ledger.countByStatus().done === 5, 15_000);
    expect(peak).toBe(2);
  });

  it('turns a worker that throws into a failed attempt with the message', async () => {
    const ledger = tempLedger({ retryBaseMs: 60_000 });
    ledger.createTask({ title: 'boom', maxAttempts: 1 }, 'test');
    agent(ledger, { run: () => Promise.reject(new Error('worker exploded')) });
    await waitFor('failed', () => ledger.getTask('T-1')?.status === 'failed');
    expect(ledger.getTask('T-1')!.lastError).toMatch(/worker exploded/);
  });
});

describe('agent runtime: the agent heartbeat', () => {
  it('writes once per heartbeat interval, not on every one-second tick', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'setTimeout', 'clearTimeout', 'Date'] });
    try {
      const ledger = tempLedger();
      const beats = vi.spyOn(ledger, 'agentHeartbeat');
      // Idle agent; heartbeat every 5 s, so the tick (every 1 s) beats on one tick in five.
      agent(
        ledger,
        fn(async () => 'ok'),
        { heartbeatMs: 5_000 },
      );
      await vi.advanceTimersByTimeAsync(20_500);
      expect(beats.mock.calls.length).toBeGreaterThanOrEqual(4);
      expect(beats.mock.calls.length).toBeLessThanOrEqual(5);
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('agent runtime: a failed agent heartbeat', () => {
  it('is tried again on the next tick, not a whole interval later', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'setTimeout', 'clearTimeout', 'Date'] });
    try {
      const ledger = tempLedger();
      const real = ledger.agentHeartbeat.bind(ledger);
      const beats = vi.spyOn(ledger, 'agentHeartbeat').mockImplementationOnce(() => {
        throw new Error('database is locked');
      });
      beats.mockImplementation(real);
      agent(
        ledger,
        fn(async () => 'ok'),
        { heartbeatMs: 5_000 },
      );
      // Ticks at 1 s: the first beat fails, the second tick writes it, then every 5 s (7, 12, 17 s).
      await vi.advanceTimersByTimeAsync(2_500);
      expect(beats).toHaveBeenCalledTimes(2);
      await vi.advanceTimersByTimeAsync(18_000);
      expect(beats).toHaveBeenCalledTimes(5);
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('agent runtime: what a running attempt does on each ledger change', () => {
  it('reads only the task’s holder, and takes no write while its question waits for an answer', async () => {
    const ledger = tempLedger();
    ledger.createTask({ title: 'asks' }, 'test');
    const fullReads = vi.spyOn(ledger, 'getTask');
    const takes = vi.spyOn(ledger, 'takeAnswer');
    agent(
      ledger,
      fn(async (ctx) => `answered ${await ctx.ask('which one?')}`),
    );
    await waitFor('the question', () => ledger.getTask('T-1')?.status === 'blocked', 5_000);
    fullReads.mockClear();
    takes.mockClear();
    // Other people's changes: every one wakes the attempt's checks.
    for (let i = 0; i < 30; i++) ledger.createTask({ title: `other ${i}` }, 'test');
    await new Promise((r) => setTimeout(r, 700));
    expect(takes).not.toHaveBeenCalled();
    expect(fullReads.mock.calls.filter(([id]) => id === 'T-1')).toEqual([]);
    ledger.answer('T-1', 'the blue one', 'person');
    await waitFor('the result', () => ledger.getTask('T-1')?.status === 'done', 5_000);
    expect(ledger.getTask('T-1')?.result).toBe('answered the blue one');
  });
});
