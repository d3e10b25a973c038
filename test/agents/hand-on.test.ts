import { afterEach, describe, expect, it, vi } from 'vitest';
import { AgentRuntime } from '../../src/agents/agent-runtime.ts';
import { createFunctionWorker } from '../../src/agents/function-worker.ts';
import { silentLogger } from '../../src/core/logger.ts';
import type { Ledger } from '../../src/ledger/ledger.ts';
import { queued, tempDir, tempLedger } from '../support/temp-ledger.ts';
import { waitFor } from '../support/wait-for.ts';

const running: AgentRuntime[] = [];
afterEach(async () => {
  while (running.length) await running.pop()!.stop();
});

function start(
  ledger: Ledger,
  options: { capacity: number; heartbeatMs?: number; run?: () => Promise<string> },
) {
  const a = new AgentRuntime(ledger, {
    id: 'a1',
    skills: [],
    capacity: options.capacity,
    worker: createFunctionWorker(options.run ?? (() => 'ok')),
    workRoot: tempDir(),
    log: silentLogger,
    ...(options.heartbeatMs ? { heartbeatMs: options.heartbeatMs } : {}),
  });
  a.start();
  running.push(a);
  return a;
}

describe('agent runtime hand-on', () => {
  it('claims the next task in the transaction that records a result', async () => {
    const ledger = tempLedger();
    for (let i = 0; i < 5; i++) ledger.createTask({ title: `t${i}` }, 'test');
    const together = vi.spyOn(ledger, 'completeAndClaim');
    start(ledger, { capacity: 1 });
    await waitFor('all done', () => ledger.countByStatus().done === 5, 10_000);
    // The first task is claimed by a plain claim; every later one with the result before it.
    const handed = together.mock.results.map((r) => (r.value as { next: { kind: string } }).next.kind);
    expect(handed.slice(0, 4)).toEqual(['claimed', 'claimed', 'claimed', 'claimed']);
    expect(ledger.events().filter((e) => e.type === 'task_claimed')).toHaveLength(5);
    queued(ledger).db.prepare("UPDATE outbox SET status = 'sent', platform_message_id = 'm' || id").run();
    expect(ledger.audit().problems).toEqual([]);
  });

  it('beats for all its attempts in one batch and stops an attempt whose lease is lost', async () => {
    const ledger = tempLedger();
    ledger.createTask({ title: 'one' }, 'test');
    ledger.createTask({ title: 'two' }, 'test');
    const batches = vi.spyOn(ledger, 'heartbeatMany');
    const single = vi.spyOn(ledger, 'heartbeat');
    let release: () => void = () => {};
    const hold = new Promise<string>((resolve) => (release = () => resolve('late')));
    start(ledger, { capacity: 2, heartbeatMs: 60, run: () => hold });
    await waitFor('two batched beats', () => batches.mock.calls.some((c) => c[0].length === 2), 10_000);
    expect(single).not.toHaveBeenCalled();
    ledger.cancel('T-1', 'alice');
    await waitFor('a batch with the cancelled attempt refused', () =>
      batches.mock.results.some((r) => (r.value as { ok: boolean }[]).some((x) => !x.ok)),
    );
    release();
    await waitFor('T-2 done', () => ledger.getTask('T-2')?.status === 'done', 10_000);
    expect(ledger.getTask('T-1')!.status).toBe('cancelled');
  });
});
