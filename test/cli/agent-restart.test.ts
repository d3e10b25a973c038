import { chmodSync, existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Ledger } from '../../src/ledger/ledger.ts';
import { collect, spawnCli } from '../support/spawn-ts.ts';
import { tempDir } from '../support/temp-ledger.ts';
import { waitFor } from '../support/wait-for.ts';

const cleanups: (() => void)[] = [];
afterEach(() => {
  while (cleanups.length) cleanups.pop()!();
});

describe('one process per agent id, across restarts', () => {
  it('refuses a second process, and a restart after kill -9 releases the claim at once without spending an attempt', async () => {
    const dir = tempDir();
    const db = join(dir, 'swarm.db');
    const marker = join(dir, 'first-try');
    const script = join(dir, 'coder.sh');
    // The first try hangs (until its agent is killed); the next one finishes.
    writeFileSync(
      script,
      `#!/bin/sh\nif [ ! -e "${marker}" ]; then touch "${marker}"; sleep 60; fi\necho "done by $SWARM_AGENT_ID"\n`,
    );
    chmodSync(script, 0o755);
    const setup = Ledger.open(db);
    setup.createTask({ title: 'survive a restart', maxAttempts: 2 }, 'test');
    setup.close();
    const args = ['agent', 'coder-001', '--db', db, '--command', script, '--skills', 'code'];

    const first = spawnCli(args);
    cleanups.push(() => first.kill('SIGKILL'));
    const firstDone = collect(first);
    const ledger = Ledger.open(db);
    cleanups.push(() => ledger.close());
    await waitFor(
      'the first claim',
      () => ledger.getTask('T-1')?.owner === 'coder-001' && existsSync(marker),
      30_000,
    );

    const second = await collect(spawnCli(args));
    expect(second.code).toBe(1);
    expect(second.stderr).toMatch(
      new RegExp(
        `agent coder-001 is already running as pid ${first.pid} on this host since \\S+ .*stop it first`,
      ),
    );
    expect(ledger.getTask('T-1')).toMatchObject({ status: 'claimed', attempt: 1 });

    first.kill('SIGKILL');
    await firstDone;
    // The lease (30 s by default) is far from over: the restart must not wait for it.
    const third = await collect(spawnCli([...args, '--until-idle']));
    expect(third.code, third.stderr).toBe(0);
    const task = ledger.getTask('T-1')!;
    expect(task).toMatchObject({ status: 'done', result: 'done by coder-001', attempt: 2 });
    const events = ledger.events({ taskId: 'T-1' });
    expect(events.some((e) => e.type === 'lease_expired')).toBe(false);
    expect(events.find((e) => e.type === 'task_released')?.data.reason).toMatch(
      new RegExp(`agent coder-001 restarted; its previous process \\(pid ${first.pid}\\) is gone`),
    );
    // The released attempt was not counted: the claim that finished was still try 1 of 2.
    const claims = events.filter((e) => e.type === 'task_claimed').map((e) => e.data.try);
    expect(claims).toEqual([1, 1]);
  }, 90_000);
});
