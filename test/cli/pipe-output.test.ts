import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Ledger } from '../../src/ledger/ledger.ts';
import { collect, spawnCli } from '../support/spawn-ts.ts';
import { tempDir } from '../support/temp-ledger.ts';

describe('CLI output through a pipe', () => {
  it('delivers every line of a large export before the process exits', async () => {
    const db = join(tempDir(), 'swarm.db');
    const ledger = Ledger.open(db, { synchronous: 'off' });
    ledger.transaction(() => {
      for (let i = 0; i < 4_000; i++)
        ledger.createTask({ title: `task number ${i} with some words` }, 'test');
    });
    ledger.close();
    // The child's stdout is a pipe; several megabytes overflow its buffer many times over.
    const r = await collect(spawnCli(['export', '--db', db]));
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(8_000);
    expect(JSON.parse(lines.at(-1)!)).toMatchObject({ kind: 'task', id: 'T-4000' });
  }, 60_000);
});
