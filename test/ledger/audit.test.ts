import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.ts';
import { tempLedger } from '../support/temp-ledger.ts';

function ledgerWithHistory() {
  const l = tempLedger();
  l.createTask({ title: 'a' }, 'cli');
  l.createTask({ title: 'b' }, 'cli');
  const c = l.claimNext({ id: 'x', skills: [] });
  if (c.kind !== 'claimed') throw new Error('claim');
  l.complete({ taskId: c.task.id, attempt: c.attempt, agentId: 'x' }, 'the real result');
  // Pretend the poster sent everything, so only tampering can fail the audit.
  l.outbox.queueEvents();
  l.db
    .prepare("UPDATE outbox SET status = 'sent', platform_message_id = 'm' || id WHERE status = 'pending'")
    .run();
  return l;
}

function captureIo() {
  const out: string[] = [];
  return { io: { out: (t: string) => out.push(t), err: (t: string) => out.push(t), env: {} }, out };
}

describe('audit', () => {
  it('passes an untouched ledger', () => {
    expect(ledgerWithHistory().audit().problems).toEqual([]);
  });

  it('catches an event whose contents were edited after the fact', () => {
    const l = ledgerWithHistory();
    l.db
      .prepare(
        `UPDATE events SET data = replace(data, 'the real result', 'a forged result') WHERE type = 'task_done'`,
      )
      .run();
    const problems = l.audit().problems;
    expect(problems.some((p) => p.kind === 'chain' && /do not match the hash/.test(p.problem))).toBe(true);
  });

  it('catches a removed event and a rehashed forgery that breaks the chain', () => {
    const l = ledgerWithHistory();
    l.db.prepare('DELETE FROM events WHERE seq = 2').run();
    expect(l.audit().problems.some((p) => /missing|link broken/.test(p.problem))).toBe(true);
  });

  it('reports events that never reached the channel', () => {
    const l = ledgerWithHistory();
    l.addNote('T-1', 'unseen', 'cli');
    expect(l.audit().problems.some((p) => p.kind === 'pending' && /not posted yet/.test(p.problem))).toBe(
      true,
    );
  });

  it('tells tampering apart from messages that are only waiting to be posted', async () => {
    const l = ledgerWithHistory();
    l.addNote('T-1', 'unseen', 'cli');
    const waiting = captureIo();
    expect(await main(['audit', '--db', l.path], waiting.io)).toBe(1);
    expect(waiting.out.join('\n')).toMatch(/not posted yet: the orchestrator posts them while it runs/);
    expect(waiting.out.join('\n')).toMatch(
      /FAILED: 0 problem\(s\) with the log, the task rows or the mirror, \d+ not posted yet/,
    );
  });

  it('makes `chat-swarm audit` exit non-zero on a tampered ledger', async () => {
    const l = ledgerWithHistory();
    const { io } = captureIo();
    expect(await main(['audit', '--db', l.path], io)).toBe(0);
    l.db.prepare(`UPDATE events SET actor = 'someone else' WHERE seq = 1`).run();
    const bad = captureIo();
    expect(await main(['audit', '--db', l.path], bad.io)).toBe(1);
    expect(bad.out.join('\n')).toMatch(/FAILED/);
  });
});

describe('audit, task by task', () => {
  it('reports row problems in task order across many tasks, and rows, attempts and events without their counterpart', () => {
    const l = tempLedger();
    for (let i = 1; i <= 12; i++) l.createTask({ title: `t${i}` }, 'cli');
    const c = l.claimNext({ id: 'x', skills: [] });
    if (c.kind !== 'claimed') throw new Error('claim');
    // Edited rows without events: T-10 sorts before T-2 as text, but comes after it as a task.
    l.db.prepare("UPDATE tasks SET title = 'forged' WHERE id IN ('T-2', 'T-10')").run();
    // A row no event created, an attempt no event claimed, and a task whose row is gone.
    l.db
      .prepare(
        `INSERT INTO tasks (id, seq, title, timeout_ms, max_attempts, status, created_by, created_at, updated_at)
         VALUES ('GHOST', 999, 'ghost', 1000, 1, 'queued', 'x', 0, 0)`,
      )
      .run();
    l.db
      .prepare(
        "INSERT INTO attempts (task_id, attempt, agent_id, started_at, lease_expires_at, last_heartbeat_at) VALUES ('GHOST', 1, 'x', 0, 0, 0)",
      )
      .run();
    l.db.prepare('PRAGMA foreign_keys = OFF').run();
    l.db.prepare("DELETE FROM tasks WHERE id = 'T-12'").run();
    const state = l
      .audit()
      .problems.filter((p) => p.kind === 'state')
      .map((p) => p.problem);
    expect(state).toEqual([
      'T-2: title is "forged" but the events say "t2"',
      'T-10: title is "forged" but the events say "t10"',
      'GHOST: the task is in the tasks table but no event created it (status queued)',
      'T-12: the events describe this task but its row is gone',
      'GHOST attempt 1: recorded, but no event claimed it',
    ]);
  });
});
