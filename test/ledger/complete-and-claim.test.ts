import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Ledger } from '../../src/ledger/ledger.ts';
import { manualClock, reopened, tempDir, tempLedger } from '../support/temp-ledger.ts';

const agentA = { id: 'a1', skills: [] as string[], instance: 'inst-a' };
const agentB = { id: 'b1', skills: [] as string[] };

/** Marks every pending outbox row as posted, so the audit checks the chain and the rows alone. */
function postEverything(l: Ledger): void {
  l.outbox.queueEvents();
  l.db
    .prepare("UPDATE outbox SET status = 'sent', platform_message_id = 'm' || id WHERE status = 'pending'")
    .run();
}

function claimed(l: Ledger, agent: { id: string; skills: string[] }) {
  const c = l.claimNext(agent);
  if (c.kind !== 'claimed') throw new Error(`expected a claim, got ${c.kind}`);
  return { taskId: c.task.id, attempt: c.attempt, agentId: agent.id };
}

describe('completeAndClaim', () => {
  it('completes nothing and claims nothing for a stale attempt', () => {
    const clock = manualClock();
    const l = tempLedger({ clock, leaseMs: 1_000, retryBaseMs: 0 });
    l.createTask({ title: 'one' }, 'cli');
    l.createTask({ title: 'two' }, 'cli');
    const zombie = claimed(l, agentA);
    clock.advance(5_000);
    expect(l.expireLeases()).toBe(1);
    const current = claimed(l, agentB);
    expect(current).toEqual({ taskId: 'T-1', attempt: 2, agentId: 'b1' });

    const r = l.completeAndClaim(zombie, 'zombie result', agentA);
    expect(r.completed).toMatchObject({ ok: false, reason: 'stale', currentAttempt: 2 });
    expect(r.next).toBeNull();
    expect(l.getTask('T-1')).toMatchObject({ status: 'claimed', owner: 'b1', attempt: 2, result: null });
    expect(l.getTask('T-2')).toMatchObject({ status: 'queued', attempt: 0, owner: null });
    const last = l.events().at(-1)!;
    expect(last).toMatchObject({ type: 'stale_write_refused', agentId: 'a1' });
    expect(last.data).toMatchObject({ op: 'result', attempt: 1, current: 2 });
    expect(l.events().filter((e) => e.type === 'task_claimed' && e.taskId === 'T-2')).toEqual([]);
  });

  it('takes the next task as a normal fenced attempt', () => {
    const l = tempLedger();
    l.createTask({ title: 'one' }, 'cli');
    l.createTask({ title: 'two' }, 'cli');
    const first = claimed(l, agentA);
    const r = l.completeAndClaim(first, 'done one', agentA);
    expect(r.completed).toEqual({ ok: true });
    if (r.next?.kind !== 'claimed') throw new Error('expected the next claim');
    expect(r.next.task).toMatchObject({ id: 'T-2', status: 'claimed', owner: 'a1', attempt: 1 });
    expect(r.next.task).toEqual(l.getTask('T-2'));
    expect(l.getTask('T-1')).toMatchObject({ status: 'done', result: 'done one', owner: null });

    const ref = { taskId: 'T-2', attempt: r.next.attempt, agentId: 'a1' };
    const row = l.db.prepare('SELECT agent_id, instance, outcome FROM attempts WHERE task_id = ?').get('T-2');
    expect(row).toEqual({ agent_id: 'a1', instance: 'inst-a', outcome: 'running' });
    expect(l.heartbeat(ref)).toEqual({ ok: true });
    expect(l.heartbeat({ ...ref, attempt: 2 })).toMatchObject({ ok: false, reason: 'stale' });
    expect(l.complete({ ...ref, agentId: 'b1' }, 'not mine')).toMatchObject({ ok: false, reason: 'stale' });
    expect(l.completeAndClaim({ ...ref, attempt: 7 }, 'wrong attempt', agentA).next).toBeNull();
    expect(l.getTask('T-2')).toMatchObject({ status: 'claimed', owner: 'a1' });

    const end = l.completeAndClaim(ref, 'done two', agentA);
    expect(end).toEqual({ completed: { ok: true }, next: { kind: 'none' } });
    expect(l.getTask('T-2')).toMatchObject({ status: 'done', result: 'done two' });
    postEverything(l);
    expect(l.audit().problems).toEqual([]);
  });

  it('reports a pause instead of claiming, after completing', () => {
    const l = tempLedger();
    l.createTask({ title: 'one' }, 'cli');
    l.createTask({ title: 'two' }, 'cli');
    const first = claimed(l, agentA);
    l.pause('alice');
    const r = l.completeAndClaim(first, 'ok', agentA);
    expect(r).toEqual({ completed: { ok: true }, next: { kind: 'paused' } });
    expect(l.getTask('T-2')!.status).toBe('queued');
  });

  it('writes the same rows and events as a separate complete and claim', () => {
    const run = (combined: boolean) => {
      const clock = manualClock();
      const l = tempLedger({ clock });
      l.createTask({ title: 'first' }, 'cli');
      l.createTask({ title: 'after first', dependsOn: ['T-1'] }, 'cli');
      l.createTask({ title: 'review me', review: true }, 'cli');
      let ref = claimed(l, agentA);
      for (;;) {
        clock.advance(10);
        let next;
        if (combined) {
          next = l.completeAndClaim(ref, `result of ${ref.taskId}`, agentA).next;
        } else {
          l.complete(ref, `result of ${ref.taskId}`);
          next = l.claimNext(agentA);
        }
        if (next?.kind !== 'claimed') break;
        ref = { taskId: next.task.id, attempt: next.attempt, agentId: 'a1' };
      }
      const rows = (sql: string) => l.db.prepare(sql).all();
      const out = {
        events: rows('SELECT * FROM events ORDER BY seq'),
        outbox: rows('SELECT * FROM outbox ORDER BY id'),
        tasks: rows('SELECT * FROM tasks ORDER BY seq'),
        attempts: rows('SELECT * FROM attempts ORDER BY task_id, attempt'),
      };
      postEverything(l);
      return { ...out, problems: l.audit().problems };
    };
    const separate = run(false);
    const together = run(true);
    // The same clock readings give the same events, down to their hashes.
    expect(together.events).toEqual(separate.events);
    expect(together.outbox).toEqual(separate.outbox);
    expect(together.tasks).toEqual(separate.tasks);
    expect(together.attempts).toEqual(separate.attempts);
    expect(together.events.map((e) => (e as { type: string }).type)).toEqual([
      'task_created',
      'task_created',
      'task_created',
      'task_claimed',
      'task_done',
      'task_unblocked',
      'task_claimed',
      'task_done',
      'task_claimed',
      'task_review',
    ]);
    expect(together.problems).toEqual([]);
  });
});

describe('heartbeatMany', () => {
  it('extends each live attempt and refuses each stale one, in one call', () => {
    const clock = manualClock();
    const l = tempLedger({ clock, leaseMs: 1_000, retryBaseMs: 0 });
    l.createTask({ title: 'one' }, 'cli');
    l.createTask({ title: 'two' }, 'cli');
    const one = claimed(l, agentA);
    const two = claimed(l, agentA);
    clock.advance(500);
    const results = l.heartbeatMany([
      { ref: one, leaseMs: 5_000 },
      { ref: { ...two, attempt: 9 } },
      { ref: two },
    ]);
    expect(results).toEqual([
      { ok: true },
      { ok: false, reason: 'stale', status: 'claimed', currentAttempt: 1 },
      { ok: true },
    ]);
    expect(l.getTask('T-1')!.leaseExpiresAt).toBe(clock.now() + 5_000);
    expect(l.getTask('T-2')!.leaseExpiresAt).toBe(clock.now() + 1_000);
    expect(l.events().at(-1)).toMatchObject({ type: 'stale_write_refused', taskId: 'T-2' });
    expect(l.heartbeatMany([])).toEqual([]);
  });
});

describe('the chain head kept per transaction', () => {
  it('stays unbroken when two connections to one file take turns', () => {
    const path = join(tempDir(), 'swarm.db');
    const one = Ledger.open(path, { synchronous: 'normal' });
    const two = Ledger.open(path, { synchronous: 'normal' });
    try {
      for (let i = 0; i < 6; i++) {
        const l = i % 2 === 0 ? one : two;
        l.createTask({ title: `task ${i}` }, 'cli');
        const ref = claimed(l, { id: `agent-${i % 2}`, skills: [] });
        (i % 2 === 0 ? two : one).completeAndClaim(ref, 'finished elsewhere', agentB);
      }
      postEverything(one);
      expect(one.audit().problems).toEqual([]);
      expect(two.audit().problems).toEqual([]);
    } finally {
      one.close();
      two.close();
    }
  });

  it('forgets the events of a rolled-back savepoint', () => {
    const l = tempLedger();
    l.transaction(() => {
      l.createTask({ title: 'kept' }, 'cli');
      expect(() =>
        l.transaction(() => {
          l.createTask({ title: 'rolled back' }, 'cli');
          throw new Error('undo');
        }),
      ).toThrow('undo');
      l.createTask({ title: 'kept too' }, 'cli');
    });
    expect(() =>
      l.transaction(() => {
        l.createTask({ title: 'all undone' }, 'cli');
        throw new Error('undo all');
      }),
    ).toThrow('undo all');
    l.createTask({ title: 'after' }, 'cli');
    expect(l.listTasks().map((t) => t.title)).toEqual(['kept', 'kept too', 'after']);
    expect(l.events().map((e) => e.seq)).toEqual([1, 2, 3]);
    postEverything(l);
    expect(l.audit().problems).toEqual([]);
  });

  it('does not remember a head from a caller’s transaction that rolled back', () => {
    const l = tempLedger();
    l.createTask({ title: 'one' }, 'cli');
    const undone = l.db.transaction(() => {
      l.createTask({ title: 'undone' }, 'cli');
      throw new Error('undo');
    });
    expect(() => undone()).toThrow('undo');
    l.createTask({ title: 'two' }, 'cli');
    l.createTask({ title: 'three' }, 'cli');
    expect(l.events().map((e) => e.seq)).toEqual([1, 2, 3]);
    postEverything(l);
    expect(l.audit().problems).toEqual([]);
  });

  it('reads the head again after this connection changed events outside a ledger write', () => {
    const l = tempLedger();
    for (const title of ['a', 'b', 'c']) l.createTask({ title }, 'cli');
    // A statement on the ledger's own connection (data_version does not see those): the two newest
    // events go, as a hand repair or a test would remove them.
    l.db.prepare('DELETE FROM events WHERE seq > 1').run();
    l.createTask({ title: 'd' }, 'cli');
    const events = l.events();
    expect(events.map((e) => e.seq)).toEqual([1, 2]);
    expect(events[1]!.prevHash).toBe(events[0]!.hash);
  });

  it('reads the head again after a failed write', () => {
    const l = tempLedger();
    l.createTask({ title: 'a' }, 'cli');
    // A write that fails after appending: its event is rolled back, and the next write chains to
    // what the file holds.
    expect(() =>
      l.transaction(() => {
        l.createTask({ title: 'undone' }, 'cli');
        throw new Error('undo');
      }),
    ).toThrow('undo');
    l.createTask({ title: 'b' }, 'cli');
    const events = l.events();
    expect(events.map((e) => e.seq)).toEqual([1, 2]);
    expect(events[1]!.prevHash).toBe(events[0]!.hash);
  });

  it('reads the head again after another connection appended, even with nothing else between', () => {
    const one = tempLedger({ synchronous: 'normal' });
    const two = reopened(one);
    one.createTask({ title: 'a' }, 'cli');
    one.createTask({ title: 'b' }, 'cli');
    two.createTask({ title: 'c' }, 'cli');
    one.createTask({ title: 'd' }, 'cli');
    expect(one.events().map((e) => [e.seq, e.taskId])).toEqual([
      [1, 'T-1'],
      [2, 'T-2'],
      [3, 'T-3'],
      [4, 'T-4'],
    ]);
    postEverything(one);
    expect(one.audit().problems).toEqual([]);
  });

  it('keys the chain once and keeps it keyed across transactions', () => {
    const path = join(tempDir(), 'swarm.db');
    const key = 'k'.repeat(40);
    const keyed = Ledger.open(path, { synchronous: 'normal', auditKey: key });
    const plain = Ledger.open(path, { synchronous: 'normal' });
    try {
      keyed.createTask({ title: 'one' }, 'cli');
      keyed.createTask({ title: 'two' }, 'cli');
      expect(keyed.events().map((e) => e.type)).toEqual(['chain_keyed', 'task_created', 'task_created']);
      expect(() => plain.createTask({ title: 'no key' }, 'cli')).toThrow(/SWARM_AUDIT_KEY/);
      postEverything(keyed);
      expect(keyed.audit().problems).toEqual([]);
    } finally {
      keyed.close();
      plain.close();
    }
  });
});
