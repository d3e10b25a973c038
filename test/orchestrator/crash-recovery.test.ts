import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createMemoryChannel } from '../../src/chat/memory-channel.ts';
import { Ledger } from '../../src/ledger/ledger.ts';
import { collect, spawnCli, spawnTs } from '../support/spawn-ts.ts';
import { tempDir } from '../support/temp-ledger.ts';
import { waitFor } from '../support/wait-for.ts';
import { createTestOrchestrator } from '../support/test-orchestrator.ts';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

describe('crash recovery', () => {
  it('posts, once, what an orchestrator killed between commit and post left in the outbox', async () => {
    const db = join(tempDir(), 'swarm.db');
    const crashed = await collect(spawnTs('test/support/processes/crashing-orchestrator.ts', [db]));
    expect(crashed.signal).toBe('SIGKILL');

    const ledger = Ledger.open(db);
    cleanups.push(() => ledger.close());
    expect(ledger.outbox.pendingCount('main')).toBeGreaterThan(0);
    expect(ledger.audit().problems.length).toBeGreaterThan(0);

    const port = createMemoryChannel();
    const orch = createTestOrchestrator(ledger, port);
    await orch.start();
    cleanups.push(() => orch.stop());
    expect(await orch.poster.drain(10_000)).toBe(0);
    const posts = port.transcript().filter((m) => m.heading?.includes('posted after the crash'));
    expect(posts).toHaveLength(1);
    expect(ledger.audit().problems).toEqual([]);
    // A second restart posts nothing again.
    await orch.stop();
    await orch.start();
    ledger.addNote('T-1', 'after the restart', 'test');
    expect(await orch.poster.drain(5_000)).toBe(0);
    expect(port.transcript().filter((m) => m.heading?.includes('posted after the crash'))).toHaveLength(1);
    expect(port.transcript().filter((m) => m.text.includes('after the restart'))).toHaveLength(1);
  }, 60_000);

  it('finishes a task whose agent was killed with SIGKILL mid-task, on another agent, after the lease expires', async () => {
    const dir = tempDir();
    const db = join(dir, 'swarm.db');
    const setup = Ledger.open(db);
    setup.createTask({ title: 'survive a crash', maxAttempts: 3 }, 'test');
    setup.close();

    const doomed = spawnCli([
      'agent',
      'doomed-1',
      '--db',
      db,
      '--command',
      'sleep 3; echo too late',
      '--lease-ms',
      '1000',
    ]);
    const doomedDone = collect(doomed);
    const ledger = Ledger.open(db);
    cleanups.push(() => ledger.close());
    await waitFor('claim by doomed-1', () => ledger.getTask('T-1')?.owner === 'doomed-1', 30_000);
    doomed.kill('SIGKILL');
    await doomedDone;

    const rescuer = await collect(
      spawnCli([
        'agent',
        'rescuer-1',
        '--db',
        db,
        '--command',
        'echo "rescued by $SWARM_AGENT_ID"',
        '--lease-ms',
        '1000',
        '--until-idle',
      ]),
    );
    expect(rescuer.code, rescuer.stderr).toBe(0);
    const task = ledger.getTask('T-1')!;
    expect(task.status).toBe('done');
    expect(task.result).toBe('rescued by rescuer-1');
    expect(task.attempt).toBe(2);
    const expired = ledger.events({ taskId: 'T-1' }).find((e) => e.type === 'lease_expired')!;
    expect(expired.agentId).toBe('doomed-1');
    expect(Number(expired.data.silentMs)).toBeGreaterThanOrEqual(1_000);
    // The orphaned worker of the killed agent may still finish; its late result must not count.
    await new Promise((r) => setTimeout(r, 3_500));
    expect(ledger.getTask('T-1')!.result).toBe('rescued by rescuer-1');
  }, 90_000);
});
