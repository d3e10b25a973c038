import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Ledger } from '../../src/ledger/ledger.ts';
import { collect, spawnCli } from '../support/spawn-ts.ts';
import { tempDir } from '../support/temp-ledger.ts';

describe('chat-swarm agent --until-idle', () => {
  it('exits once nothing it could take remains, although tasks for other skills stay open', async () => {
    const dir = tempDir();
    const db = join(dir, 'swarm.db');
    // Fails its first try, so the agent must wait out the retry backoff before it may exit.
    const script = join(dir, 'coder.sh');
    writeFileSync(
      script,
      `#!/bin/sh\nif [ ! -e "${dir}/tried-$SWARM_TASK_ID" ]; then touch "${dir}/tried-$SWARM_TASK_ID"; exit 7; fi\necho "coded $SWARM_TASK_TITLE"\n`,
    );
    chmodSync(script, 0o755);
    const config = join(dir, 'chat-swarm.json');
    writeFileSync(
      config,
      JSON.stringify({
        workDir: join(dir, 'work'),
        ledger: { retryBaseMs: 300 },
        agents: [{ id: 'coder-001', skills: ['code'], command: script }],
      }),
    );
    const ledger = Ledger.open(db);
    ledger.createTask({ title: 'Design it', skills: ['design'] }, 'test');
    ledger.createTask({ title: 'Code it', skills: ['code'] }, 'test');
    ledger.createTask({ title: 'Code after design', skills: ['code'], dependsOn: ['T-1'] }, 'test');
    ledger.createTask({ title: 'Code after that', skills: ['code'], dependsOn: ['T-3'] }, 'test');
    ledger.createTask({ title: 'Design more', skills: ['design'] }, 'test');
    // T-3 waits for a cancelled task and T-4 for T-3: neither can run without a person.
    ledger.cancel('T-1', 'test');
    ledger.close();

    const run = await collect(
      spawnCli(['agent', 'coder-001', '--config', config, '--db', db, '--until-idle']),
    );
    expect(run.code, run.stderr).toBe(0);
    const after = Ledger.open(db);
    try {
      expect(after.getTask('T-2')).toMatchObject({ status: 'done', result: 'coded Code it' });
      expect(after.getTask('T-2')?.attempt).toBe(2);
      expect(after.getTask('T-3')?.status).toBe('queued');
      expect(after.getTask('T-4')?.status).toBe('queued');
      expect(after.getTask('T-5')?.status).toBe('queued');
    } finally {
      after.close();
    }
  }, 60_000);
});
