import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Ledger } from '../../src/ledger/ledger.ts';
import { collect, spawnCli } from '../support/spawn-ts.ts';
import { tempDir } from '../support/temp-ledger.ts';

describe('agent commands with a relative script path', () => {
  it('finds ./agents/x.sh next to the config file although the worker runs in its task folder', async () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'agents'));
    const script = join(dir, 'agents', 'coder.sh');
    writeFileSync(script, '#!/bin/sh\necho "coded: $SWARM_TASK_TITLE"\n');
    chmodSync(script, 0o755);
    const config = join(dir, 'chat-swarm.json');
    writeFileSync(
      config,
      JSON.stringify({
        workDir: join(dir, 'work'),
        agents: [{ id: 'coder-001', command: './agents/coder.sh' }],
      }),
    );
    const db = join(dir, 'swarm.db');
    const add = await collect(spawnCli(['task', 'add', 'Relative', '--db', db, '--config', config]));
    expect(add.code, add.stderr).toBe(0);
    const run = await collect(
      spawnCli(['agent', 'coder-001', '--config', config, '--db', db, '--until-idle']),
    );
    expect(run.code, run.stderr).toBe(0);
    const ledger = Ledger.open(db);
    const task = ledger.getTask('T-1')!;
    ledger.close();
    expect(task.lastError).toBeNull();
    expect(task.status).toBe('done');
    expect(task.result).toBe('coded: Relative');
  }, 60_000);
});
