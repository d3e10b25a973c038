import Database from 'better-sqlite3';
import type { ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Ledger } from '../../src/ledger/ledger.ts';
import { collect, spawnCli } from '../support/spawn-ts.ts';
import { tempDir } from '../support/temp-ledger.ts';
import { waitFor } from '../support/wait-for.ts';

const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

const running = (c: ChildProcess): boolean => c.exitCode === null && c.signalCode === null;

describe('a ledger locked by another writer for longer than the busy timeout', () => {
  it('leaves up and agent running; they log, retry and finish the work once the lock is gone', async () => {
    const dir = tempDir();
    const db = join(dir, 'swarm.db');
    const config = join(dir, 'chat-swarm.json');
    const worker = 'echo "::progress 50 halfway"; sleep 1; echo "done by $SWARM_AGENT_ID"';
    writeFileSync(
      config,
      JSON.stringify({
        db,
        workDir: join(dir, 'work'),
        channel: { platform: 'console', admin: true },
        ledger: { busyTimeoutMs: 200, leaseMs: 3_000, synchronous: 'normal' },
        agents: [{ id: 'up-1', command: worker }],
      }),
    );
    const ledger = Ledger.open(db);
    try {
      const up = spawnCli(['up', '--config', config]);
      const agent = spawnCli(['agent', 'solo-1', '--config', config, '--command', worker]);
      children.push(up, agent);
      const upDone = collect(up);
      const agentDone = collect(agent);
      await waitFor('both agents registered', () => ledger.listAgents().length === 2, 30_000);
      ledger.createTask({ title: 'one' }, 'test');
      ledger.createTask({ title: 'two' }, 'test');
      await waitFor(
        'both tasks claimed',
        () => ledger.getTask('T-1')?.status === 'claimed' && ledger.getTask('T-2')?.status === 'claimed',
        30_000,
      );

      // Another connection holds the write lock for 15 times the busy timeout: heartbeats, progress,
      // results, the sweeper and the poster all fail to write meanwhile.
      const locker = new Database(db);
      locker.exec('BEGIN IMMEDIATE');
      await new Promise((r) => setTimeout(r, 3_000));
      locker.exec('COMMIT');
      locker.close();

      expect(running(up), 'up still running').toBe(true);
      expect(running(agent), 'agent still running').toBe(true);
      await waitFor(
        'both tasks done',
        () => ledger.getTask('T-1')?.status === 'done' && ledger.getTask('T-2')?.status === 'done',
        30_000,
      );
      ledger.createTask({ title: 'after the lock' }, 'test');
      await waitFor('new task done', () => ledger.getTask('T-3')?.status === 'done', 30_000);
      expect(ledger.getTask('T-3')!.result).toMatch(/^done by (up-1|solo-1)$/);

      up.kill('SIGTERM');
      agent.kill('SIGTERM');
      const [u, a] = await Promise.all([upDone, agentDone]);
      expect(u.code, u.stderr).toBe(0);
      expect(a.code, a.stderr).toBe(0);
      // The failures did happen, and were logged as such rather than ending anything.
      expect(u.stderr + a.stderr).toMatch(/will retry/);
      expect(a.stderr).toMatch(/agent heartbeat failed; will retry/);
    } finally {
      ledger.close();
    }
  }, 120_000);
});
