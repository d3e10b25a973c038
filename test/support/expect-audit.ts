import { expect } from 'vitest';
import { main } from '../../src/cli/main.ts';
import type { Ledger } from '../../src/ledger/ledger.ts';

/** Runs `chat-swarm audit --db PATH` in-process; returns its exit code and what it printed. */
export async function cliAudit(dbPath: string): Promise<{ code: number; output: string }> {
  const out: string[] = [];
  const code = await main(['audit', '--db', dbPath], {
    out: (t) => void out.push(t),
    err: (t) => void out.push(t),
    env: {},
  });
  return { code, output: out.join('\n') };
}

/** The ledger passes its audit, both through the API and through the CLI a person would run. */
export async function expectAuditPasses(ledger: Ledger): Promise<void> {
  expect(ledger.audit().problems).toEqual([]);
  const { code, output } = await cliAudit(ledger.path);
  expect(code, output).toBe(0);
}
