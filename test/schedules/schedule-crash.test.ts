import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createMemoryChannel } from '../../src/chat/memory-channel.ts';
import { silentLogger } from '../../src/core/logger.ts';
import { slotTaskKey } from '../../src/core/schedule-key.ts';
import { Ledger } from '../../src/ledger/ledger.ts';
import { Scheduler } from '../../src/schedules/scheduler.ts';
import { collect, spawnTs } from '../support/spawn-ts.ts';
import { tempDir } from '../support/temp-ledger.ts';
import { createTestOrchestrator } from '../support/test-orchestrator.ts';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

describe('a crash between firing and posting', () => {
  it('posts the slot task once after the restart, and the restarted scheduler makes no second task', async () => {
    const db = join(tempDir(), 'swarm.db');
    const start = Date.parse('2026-02-01T00:00:30Z');
    const crashed = await collect(
      spawnTs('test/support/processes/crashing-scheduler.ts', [db, String(start)]),
    );
    expect(crashed.signal, crashed.stderr).toBe('SIGKILL');

    const key = slotTaskKey('crashy', Date.parse('2026-02-01T00:01:00Z'));
    let now = start + 60_000;
    const ledger = Ledger.open(db, { clock: { now: () => now } });
    cleanups.push(() => ledger.close());
    expect(ledger.listTasks().map((t) => t.id)).toEqual([key]);
    expect(ledger.outbox.pendingCount('main')).toBeGreaterThan(0);

    for (let restart = 0; restart < 2; restart++) {
      const port = createMemoryChannel();
      const orch = createTestOrchestrator(ledger, port);
      await orch.start();
      const scheduler = new Scheduler(ledger, silentLogger, {}, () => orch.poster.kick());
      expect(scheduler.tick().created).toEqual([]);
      expect(await orch.poster.drain(10_000)).toBe(0);
      const posts = port.transcript().filter((m) => m.heading?.includes(key));
      expect(posts).toHaveLength(restart === 0 ? 1 : 0);
      await orch.stop();
    }
    expect(ledger.listTasks().map((t) => t.id)).toEqual([key]);
    expect(ledger.audit().problems).toEqual([]);
    // The next slot still comes, once.
    now += 60_000;
    const scheduler = new Scheduler(ledger, silentLogger);
    expect(scheduler.tick().created).toEqual([slotTaskKey('crashy', Date.parse('2026-02-01T00:02:00Z'))]);
  }, 60_000);
});
