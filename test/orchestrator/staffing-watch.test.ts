import { afterEach, describe, expect, it } from 'vitest';
import { createMemoryChannel } from '../../src/chat/memory-channel.ts';
import { manualClock, tempLedger } from '../support/temp-ledger.ts';
import { createTestOrchestrator } from '../support/test-orchestrator.ts';

const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (stops.length) await stops.pop()!();
});

describe('status lines say when no online agent can take a task', () => {
  it('at creation, and again only when agents come or go in a way that changes it', async () => {
    const clock = manualClock();
    const ledger = tempLedger({ clock, leaseMs: 30_000 });
    const port = createMemoryChannel();
    // Sweeps are driven by hand here.
    const orch = createTestOrchestrator(ledger, port, { sweepIntervalMs: 3_600_000 });
    await orch.start();
    stops.push(() => orch.stop());
    const statusLine = () => {
      const main = port.transcript().find((m) => m.heading?.includes('T-1 ·'));
      return main?.text.split('\n')[0];
    };

    ledger.registerAgent({ id: 'coder-1', skills: ['code'], capacity: 1 });
    orch.sweep();
    ledger.createTask({ title: 'Logo', skills: ['design'] }, 'test');
    ledger.createTask({ title: 'Parser', skills: ['code'] }, 'test');
    await orch.poster.drain(10_000);
    expect(statusLine()).toBe('queued · no online agent has skill design');
    const edits = () => port.transcript().find((m) => m.heading?.includes('T-1 ·'))?.edits ?? 0;
    const before = edits();

    // Nothing changed: no refresh.
    expect(orch.sweep()).toBe(0);
    // A designer comes: T-1's line changes, T-2's does not need to.
    ledger.registerAgent({ id: 'designer-1', skills: ['design'], capacity: 1 });
    orch.sweep();
    await orch.poster.drain(10_000);
    expect(statusLine()).toBe('queued');
    expect(edits()).toBe(before + 1);
    const parser = port.transcript().find((m) => m.heading?.includes('T-2 ·'));
    expect(parser?.edits).toBe(0);

    // The designer goes silent past the lease (an agent killed writes nothing): the hint comes back.
    clock.advance(20_000);
    ledger.agentHeartbeat('coder-1');
    clock.advance(11_000);
    orch.sweep();
    await orch.poster.drain(10_000);
    expect(statusLine()).toBe('queued · no online agent has skill design');
    expect(ledger.audit().problems).toEqual([]);
  });
});
