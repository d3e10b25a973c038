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
    // Each task's cost in the words of `task show`, made-up figures for the model "demo".
    for (const id of ['T-1', 'T-2', 'T-3', 'T-4', 'T-5'])
      expect(demo.stdout).toMatch(
        new RegExp(
          `\\n  ${id}\\s+done[^\\n]*\\n(?:\\s+budget: [^\\n]+\\n)?\\s+cost: \\$0\\.\\d+ · [\\d.k]+ in / [\\d.k]+ out \\(demo\\)\\n`,
        ),
      );
    expect(demo.stdout).toMatch(/T-2\s+done[^\n]*\n\s+budget: \$0\.50\n/); // stayed within it
    expect(demo.stdout).toMatch(/\n\s+attempt 1: \$[\d.]+ · 1\.8k in \/ 120 out\n\s+attempt 2: /); // T-3's failed try
    expect(demo.stdout).toMatch(/T-1 │ 💰 \$0\.01 · 2\.4k in \/ 610 out/); // under the result in the chat
    expect(demo.stdout).toContain('(demo figures: ');
    // The total, in the words of `chat-swarm status`, which reads the same ledger.
    const status = await collect(spawnCli(['status', '--db', db]));
    expect(status.code, status.stderr).toBe(0);
    const spent = status.stdout.slice(status.stdout.indexOf('cost today ('));
    expect(spent).toMatch(/^cost today \(\d{4}-\d\d-\d\d UTC\): \$0\.\d+ · .*\n  coder-001: /);
    // Both read "today": across a UTC midnight between the two runs only the day differs.
    const day = /^cost today \((\S+) UTC\)/.exec(spent)![1]!;
    if (demo.stdout.includes(`cost today (${day} UTC)`)) expect(demo.stdout).toContain(spent.trimEnd());
    else expect(demo.stdout).toMatch(/\ncost today \(\d{4}-\d\d-\d\d UTC\): \$0\.\d+ · /);
    const audit = await collect(spawnCli(['audit', '--db', db]));
    expect(audit.code, audit.stdout + audit.stderr).toBe(0);
    expect(audit.stdout).toMatch(/OK: chain intact/);
  }, 120_000);
});
