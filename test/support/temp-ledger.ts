import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import { Ledger, type OpenLedgerOptions } from '../../src/ledger/ledger.ts';
import type { Clock } from '../../src/core/types.ts';

/** A clock the test moves by hand. */
export function manualClock(
  start = 1_700_000_000_000,
): Clock & { advance(ms: number): void; set(ms: number): void } {
  let now = start;
  return {
    now: () => now,
    advance(ms: number) {
      now += ms;
    },
    set(ms: number) {
      now = ms;
    },
  };
}

const cleanups: (() => void)[] = [];
afterEach(() => {
  while (cleanups.length) cleanups.pop()!();
});

/** A fresh directory removed after the test. */
export function tempDir(prefix = 'swarm-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A fresh ledger file per test, closed and removed afterwards. */
export function tempLedger(options: OpenLedgerOptions = {}): Ledger {
  const dir = tempDir();
  const ledger = Ledger.open(join(dir, 'swarm.db'), { synchronous: 'normal', ...options });
  cleanups.unshift(() => ledger.close());
  return ledger;
}

/** A ledger at a path the test chose (a second connection, a file it prepared), closed after the test. */
export function ledgerAt(path: string, options: OpenLedgerOptions = {}): Ledger {
  const ledger = Ledger.open(path, options);
  cleanups.unshift(() => ledger.close());
  return ledger;
}

/** A second connection to `ledger`'s file (as another process would open), closed after the test. */
export function reopened(ledger: Ledger): Ledger {
  const other = Ledger.open(ledger.path, { synchronous: 'normal' });
  cleanups.unshift(() => other.close());
  return other;
}

/** Blocks a new task on a question, as its agent would; returns the task's id. */
export function blockedTask(ledger: Ledger, title: string): string {
  const { task } = ledger.createTask({ title }, 'cli');
  const claim = ledger.claimTask(task.id, { id: `agent-${task.id}`, skills: [] });
  if (claim.kind !== 'claimed') throw new Error(`claim failed: ${claim.kind}`);
  ledger.ask({ taskId: task.id, attempt: claim.attempt, agentId: `agent-${task.id}` }, `${title}?`);
  return task.id;
}

/**
 * The ledger, after queueing the outbox rows of every event so far: what the poster does before it
 * reads the outbox. Tests that read outbox rows with their own SQL call this first.
 */
export function queued(ledger: Ledger): Ledger {
  ledger.outbox.queueEvents();
  return ledger;
}
