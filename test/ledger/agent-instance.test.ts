import { describe, expect, it } from 'vitest';
import { AgentRunningError } from '../../src/ledger/agent-ops.ts';
import { manualClock, tempLedger } from '../support/temp-ledger.ts';

const BASE = { id: 'coder-001', skills: ['code'], capacity: 1, host: 'box-a', leaseMs: 30_000 };

describe('one live process per agent id', () => {
  it('refuses a second process while the first is alive on this host, naming its pid and start', () => {
    const clock = manualClock(Date.UTC(2026, 0, 2, 3, 4, 5));
    const ledger = tempLedger({ clock });
    ledger.registerAgent({ ...BASE, pid: 1234, instance: 'first' });
    clock.advance(2_000);
    let error: unknown;
    try {
      ledger.registerAgent({ ...BASE, pid: 5678, instance: 'second', isAlive: () => true });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(AgentRunningError);
    expect((error as Error).message).toBe(
      'agent coder-001 is already running as pid 1234 on this host since 2026-01-02T03:04:05.000Z (last seen 2s ago); stop it first',
    );
    expect(ledger.getAgent('coder-001')).toMatchObject({ pid: 1234, instance: 'first' });
  });

  it('refuses one on another host until it has been silent for a lease', () => {
    const clock = manualClock();
    const ledger = tempLedger({ clock });
    ledger.registerAgent({ ...BASE, pid: 1234, instance: 'first', host: 'box-b' });
    clock.advance(29_000);
    expect(() =>
      ledger.registerAgent({ ...BASE, pid: 99, instance: 'second', isAlive: () => false }),
    ).toThrow(
      /already running as pid 1234 on host box-b .*stop it first, or wait until it has been silent for 30s/,
    );
    clock.advance(1_000);
    ledger.registerAgent({ ...BASE, pid: 99, instance: 'second' });
    expect(ledger.getAgent('coder-001')).toMatchObject({ pid: 99, instance: 'second', host: 'box-a' });
  });

  it('takes over from a dead process at once, releasing its claims without spending attempts', () => {
    const clock = manualClock();
    const ledger = tempLedger({ clock });
    ledger.createTask({ title: 'long job', skills: ['code'], maxAttempts: 2 }, 'test');
    ledger.createTask({ title: 'question', skills: ['code'], maxAttempts: 2 }, 'test');
    ledger.registerAgent({ ...BASE, capacity: 2, pid: 1234, instance: 'first' });
    const a = ledger.claimNext({ id: 'coder-001', skills: ['code'], instance: 'first' });
    const b = ledger.claimNext({ id: 'coder-001', skills: ['code'], instance: 'first' });
    if (a.kind !== 'claimed' || b.kind !== 'claimed') throw new Error('no claims');
    ledger.ask({ taskId: b.task.id, attempt: b.attempt, agentId: 'coder-001' }, 'which?');
    clock.advance(1_000);

    ledger.registerAgent({ ...BASE, capacity: 2, pid: 5678, instance: 'second', isAlive: () => false });
    for (const id of ['T-1', 'T-2']) {
      const task = ledger.getTask(id)!;
      expect(task).toMatchObject({ status: 'queued', owner: null });
      const released = ledger.events({ taskId: id }).filter((e) => e.type === 'task_released');
      expect(released).toHaveLength(1);
      expect(released[0]?.data.reason).toBe(
        'agent coder-001 restarted; its previous process (pid 1234) is gone',
      );
    }
    // Taken again at once, and the released attempt did not count: both tries are still there.
    const again = ledger.claimNext({ id: 'coder-001', skills: ['code'], instance: 'second' });
    expect(again.kind).toBe('claimed');
    if (again.kind !== 'claimed') return;
    ledger.fail({ taskId: again.task.id, attempt: again.attempt, agentId: 'coder-001' }, 'boom');
    expect(ledger.getTask(again.task.id)?.status).toBe('queued');
    // The rows agree with the events (the mirror is not posted here: no channel).
    expect(ledger.audit().problems.filter((p) => p.kind !== 'pending')).toEqual([]);
  });

  it('lets the same instance or the same process register again, and anyone after a clean stop', () => {
    const ledger = tempLedger();
    ledger.registerAgent({ ...BASE, pid: 1234, instance: 'first' });
    ledger.registerAgent({ ...BASE, pid: 1234, instance: 'first', isAlive: () => true });
    ledger.registerAgent({ ...BASE, pid: 1234, instance: 'again', isAlive: () => true });
    ledger.markAgentOffline('coder-001', 'again');
    ledger.registerAgent({ ...BASE, pid: 777, instance: 'third', isAlive: () => true });
    // A process that was taken over does not mark its successor offline when it stops.
    ledger.markAgentOffline('coder-001', 'first');
    expect(ledger.getAgent('coder-001')).toMatchObject({ status: 'active', instance: 'third' });
    // Without an instance (older callers), nothing is checked.
    ledger.registerAgent({ id: 'coder-001', skills: [], capacity: 1 });
  });
});
