import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Ledger } from '../../src/ledger/ledger.ts';
import { collect } from '../support/spawn-ts.ts';
import { tempDir } from '../support/temp-ledger.ts';
import { spawnCliIn } from './cli-process.ts';

describe('several processes creating the same new ledger at once', () => {
  it('all succeed (the schema is applied once), and every task is there', async () => {
    const dir = tempDir();
    const runs = await Promise.all(
      ['a', 'b', 'c'].map((title) => collect(spawnCliIn(dir, ['task', 'add', title, '--key', `K-${title}`]))),
    );
    for (const r of runs) expect(r.code, r.stderr).toBe(0);
    const ledger = Ledger.open(join(dir, 'swarm.db'), { readonly: true });
    expect(
      ledger
        .listTasks()
        .map((t) => t.id)
        .sort(),
    ).toEqual(['K-a', 'K-b', 'K-c']);
    ledger.close();
  }, 60_000);
});
