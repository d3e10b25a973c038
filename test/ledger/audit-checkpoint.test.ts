import { describe, expect, it } from 'vitest';
import {
  formatCheckpoint,
  newestCheckpoint,
  parseCheckpoint,
  parseCheckpointArg,
  type Checkpoint,
} from '../../src/ledger/audit-checkpoint.ts';
import { redactSecrets } from '../../src/core/logger.ts';
import type { Ledger } from '../../src/ledger/ledger.ts';
import { tempLedger } from '../support/temp-ledger.ts';
import { rehashChain } from './forge-chain.ts';

function ledgerWithHistory(): Ledger {
  const l = tempLedger();
  for (let i = 0; i < 5; i++) l.createTask({ title: `task ${i}` }, 'cli');
  const c = l.claimNext({ id: 'x', skills: [] });
  if (c.kind !== 'claimed') throw new Error('claim');
  l.complete({ taskId: c.task.id, attempt: c.attempt, agentId: 'x' }, 'done well');
  return l;
}

const headOf = (l: Ledger): Checkpoint => {
  const last = l.events().at(-1)!;
  return { seq: last.seq, hash: last.hash };
};
const problemsWith = (l: Ledger, cp: Checkpoint) =>
  l.audit({ checkpoints: [{ checkpoint: cp, source: 'test' }] }).problems.filter((p) => p.kind !== 'pending');

describe('checkpoints', () => {
  it('reads back what it writes, from a message text or typed by hand', () => {
    const cp = { seq: 1234, hash: 'ab'.repeat(32), at: Date.UTC(2025, 0, 2, 3, 4, 5) };
    const text = formatCheckpoint(cp);
    expect(text).toMatch(/^chat-swarm checkpoint: event 1234 hash abab.* at 2025-01-02T03:04:05.000Z\n/);
    // Nothing token-shaped for maskers to eat, even with a long event number.
    const big = formatCheckpoint({ ...cp, seq: 12_345_678 });
    expect(redactSecrets(big)).toBe(big);
    expect(parseCheckpoint(text)).toEqual(cp);
    expect(parseCheckpoint(`📌 ${text}`)).toEqual(cp);
    expect(parseCheckpoint('checkpoint: event 12 hash abc')).toBeUndefined();
    expect(parseCheckpointArg(text)).toEqual(cp);
    expect(parseCheckpointArg(` 1234:${'AB'.repeat(32)} `)).toEqual({ seq: 1234, hash: 'ab'.repeat(32) });
    expect(parseCheckpointArg('1234')).toBeUndefined();
    const older = formatCheckpoint({ ...cp, seq: 99 });
    expect(newestCheckpoint(['hello', older, text])?.seq).toBe(1234);
    expect(newestCheckpoint(['hello'])).toBeUndefined();
  });

  it('passes an untouched ledger, counting the events after the checkpoint', () => {
    const l = ledgerWithHistory();
    const cp = headOf(l);
    l.addNote('T-2', 'later', 'cli');
    const report = l.audit({ checkpoints: [{ checkpoint: cp, source: 'channel' }] });
    expect(report.problems.filter((p) => p.kind !== 'pending')).toEqual([]);
    expect(report.checkpoints).toMatchObject([{ source: 'channel', eventsAfter: 1 }]);
  });

  it('catches deleted newest events that the chain alone cannot see', () => {
    const l = ledgerWithHistory();
    const cp = headOf(l);
    l.db.prepare('DELETE FROM events WHERE seq > ?').run(cp.seq - 2);
    l.db.prepare('DELETE FROM outbox WHERE event_seq > ?').run(cp.seq - 2);
    // Rows that the deleted events explained are put back too, so only the anchor can tell.
    l.db
      .prepare(
        "UPDATE tasks SET status = 'queued', attempt = 0, owner = NULL, result = NULL, lease_expires_at = NULL WHERE id = 'T-1'",
      )
      .run();
    l.db.prepare('DELETE FROM attempts').run();
    expect(l.audit().problems.filter((p) => p.kind !== 'pending')).toEqual([]);
    expect(problemsWith(l, cp).map((p) => p.problem)).toEqual([
      `the checkpoint names event ${cp.seq} but the ledger ends at event ${cp.seq - 2}: newer events were deleted (or this is an older copy of the ledger)`,
    ]);
  });

  it('catches a consistent rewrite of events before the checkpoint', () => {
    const l = ledgerWithHistory();
    const cp = headOf(l);
    l.db
      .prepare("UPDATE events SET data = replace(data, 'done well', 'done badly') WHERE type = 'task_done'")
      .run();
    l.db.prepare("UPDATE tasks SET result = 'done badly' WHERE result IS NOT NULL").run();
    rehashChain(l.db);
    expect(l.audit().problems.filter((p) => p.kind !== 'pending')).toEqual([]);
    const problems = problemsWith(l, cp);
    expect(problems).toHaveLength(1);
    expect(problems[0]!.kind).toBe('checkpoint');
    expect(problems[0]!.problem).toMatch(
      new RegExp(`^event ${cp.seq} has hash [0-9a-f]{12}… but the checkpoint says`),
    );
  });
});
