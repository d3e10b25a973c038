import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { collect, spawnCli } from '../support/spawn-ts.ts';
import { tempDir } from '../support/temp-ledger.ts';

describe('chat-swarm demo', () => {
  it('runs to the end without a terminal, every task done, and leaves a ledger that audit passes', async () => {
    const db = join(tempDir(), 'demo.db');
    const demo = await collect(spawnCli(['demo', '--db', db], { CI: '1' }));
    expect(demo.code, demo.stderr).toBe(0);
    expect(demo.stdout).toMatch(/T-3\s+done\s+attempts 2/); // failed once, retried
    expect(demo.stdout).toMatch(/answer from demo-autoanswer: playful/);
    expect(demo.stdout).toMatch(/claimed/);
    expect(demo.stdout).toContain(`ledger: ${db}`);
    for (const id of ['T-1', 'T-2', 'T-3', 'T-4', 'T-5'])
      expect(demo.stdout).toMatch(new RegExp(`${id}\\s+done`));
    const audit = await collect(spawnCli(['audit', '--db', db]));
    expect(audit.code, audit.stdout + audit.stderr).toBe(0);
    expect(audit.stdout).toMatch(/OK: chain intact/);
  }, 120_000);
});
