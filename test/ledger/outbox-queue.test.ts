/**
 * The outbox is filled from the event log after the fact (src/ledger/outbox-queue.ts): a state change
 * commits its event only; whoever reads the outbox first queues the rows of the events since the
 * cursor, in batches. Exactly once, in event order, for the channels in effect, whatever crashes.
 */
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { mirrorHealth } from '../../src/board/mirror-health.ts';
import { Ledger } from '../../src/ledger/ledger.ts';
import { MIGRATIONS } from '../../src/ledger/migrations.ts';
import { OUTBOX_PRIORITY } from '../../src/ledger/outbox-payload.ts';
import {
  eventsBehind,
  QUEUE_BATCH,
  queuedThrough,
  queueEventsInWrite,
} from '../../src/ledger/outbox-queue.ts';
import { manualClock, reopened, tempDir, tempLedger } from '../support/temp-ledger.ts';

const outboxCount = (l: Ledger): number =>
  (l.db.prepare('SELECT COUNT(*) AS n FROM outbox').get() as { n: number }).n;

/** Outbox rows per event, as [event seq, rows] pairs in event order. */
const rowsPerEvent = (l: Ledger): [number, number][] =>
  (
    l.db
      .prepare(
        'SELECT event_seq AS seq, COUNT(*) AS n FROM outbox WHERE event_seq IS NOT NULL GROUP BY event_seq',
      )
      .all() as { seq: number; n: number }[]
  ).map((r) => [r.seq, r.n]);

function claimed(l: Ledger, agentId = 'a1') {
  const c = l.claimNext({ id: agentId, skills: [] });
  if (c.kind !== 'claimed') throw new Error(`expected a claim, got ${c.kind}`);
  return { taskId: c.task.id, attempt: c.attempt, agentId };
}

describe('outbox rows queued from the event log', () => {
  it('an agent’s state change writes no outbox row; the reader queues them once', () => {
    const l = tempLedger();
    l.createTask({ title: 'a' }, 'cli');
    l.createTask({ title: 'b' }, 'cli');
    const ref = claimed(l);
    expect(l.completeAndClaim(ref, 'done', { id: 'a1', skills: [] }).next?.kind).toBe('claimed');
    expect(outboxCount(l)).toBe(0);
    expect(eventsBehind(l.core)).toBe(l.lastEventSeq());

    expect(l.outbox.queueEvents()).toBe(l.lastEventSeq());
    // created ×2: a status row each; claimed ×2: status + detail; done: status + result detail.
    const rows = l.db.prepare('SELECT event_seq, kind, status FROM outbox ORDER BY id').all();
    expect(rows).toEqual([
      { event_seq: 1, kind: 'status', status: 'superseded' },
      { event_seq: 2, kind: 'status', status: 'superseded' },
      { event_seq: 3, kind: 'status', status: 'superseded' },
      { event_seq: 3, kind: 'detail', status: 'pending' },
      { event_seq: 4, kind: 'status', status: 'pending' },
      { event_seq: 4, kind: 'detail', status: 'pending' },
      { event_seq: 5, kind: 'status', status: 'pending' },
      { event_seq: 5, kind: 'detail', status: 'pending' },
    ]);
    expect(queuedThrough(l.core)).toBe(l.lastEventSeq());
    expect(l.outbox.queueEvents()).toBe(0);
    expect(outboxCount(l)).toBe(8);
  });

  it('a status row queued on its own supersedes the task’s pending one and keeps its urgency', () => {
    const l = tempLedger();
    l.createTask({ title: 'one' }, 'cli'); // normal
    l.createTask({ title: 'two' }, 'cli');
    l.outbox.queueEvents();
    const id = l.outbox.add('main', 'status', OUTBOX_PRIORITY.low, { text: '' }, { taskId: 'T-1' });
    const statusRows = l.db
      .prepare("SELECT id, task_id AS task, status, priority FROM outbox WHERE kind = 'status' ORDER BY id")
      .all() as { id: number; task: string; status: string; priority: number }[];
    expect(statusRows.map(({ task, status, priority }) => ({ task, status, priority }))).toEqual([
      { task: 'T-1', status: 'superseded', priority: OUTBOX_PRIORITY.normal },
      { task: 'T-2', status: 'pending', priority: OUTBOX_PRIORITY.normal },
      { task: 'T-1', status: 'pending', priority: OUTBOX_PRIORITY.normal },
    ]);
    expect(statusRows.at(-1)!.id).toBe(id);
  });

  it('a batch supersedes the pending status rows of its tasks on every channel, and no other task’s', () => {
    const l = tempLedger();
    l.setChannels(['a', 'b']);
    for (const title of ['one', 'two', 'three']) l.createTask({ title }, 'cli'); // normal
    l.outbox.queueEvents();
    // An urgent row of T-2's, as a reply would queue: its new row takes the urgency over.
    l.outbox.add('b', 'status', OUTBOX_PRIORITY.urgent, { text: '' }, { taskId: 'T-2' });
    claimed(l); // T-1, low
    l.claimTask('T-2', { id: 'a2', skills: [] }); // low
    l.outbox.queueEvents();
    const pending = l.db
      .prepare(
        "SELECT channel, task_id AS task, event_seq AS seq, priority FROM outbox WHERE kind = 'status' AND status = 'pending' ORDER BY channel, task_id",
      )
      .all();
    expect(pending).toEqual([
      { channel: 'a', task: 'T-1', seq: 4, priority: OUTBOX_PRIORITY.normal },
      { channel: 'a', task: 'T-2', seq: 5, priority: OUTBOX_PRIORITY.normal },
      { channel: 'a', task: 'T-3', seq: 3, priority: OUTBOX_PRIORITY.normal },
      { channel: 'b', task: 'T-1', seq: 4, priority: OUTBOX_PRIORITY.normal },
      { channel: 'b', task: 'T-2', seq: 5, priority: OUTBOX_PRIORITY.urgent },
      { channel: 'b', task: 'T-3', seq: 3, priority: OUTBOX_PRIORITY.normal },
    ]);
  });

  it('leaves one status row of a task pending per batch, with the most urgent priority of them', () => {
    const l = tempLedger();
    l.createTask({ title: 'a' }, 'cli'); // normal
    const ref = claimed(l); // low
    l.progress(ref, 10, 'a tenth'); // low
    l.progress(ref, 20, 'a fifth'); // low
    l.outbox.queueEvents();
    const statusRows = l.db
      .prepare("SELECT event_seq, status, priority FROM outbox WHERE kind = 'status' ORDER BY id")
      .all();
    expect(statusRows).toEqual([
      { event_seq: 1, status: 'superseded', priority: OUTBOX_PRIORITY.normal },
      { event_seq: 2, status: 'superseded', priority: OUTBOX_PRIORITY.normal },
      { event_seq: 3, status: 'superseded', priority: OUTBOX_PRIORITY.normal },
      { event_seq: 4, status: 'pending', priority: OUTBOX_PRIORITY.normal },
    ]);
    // A later batch supersedes the pending row and takes its priority over, as a single row does.
    l.progress(ref, 30, 'more');
    l.outbox.queueEvents();
    const last = l.db
      .prepare(
        "SELECT event_seq, status, priority FROM outbox WHERE kind = 'status' ORDER BY id DESC LIMIT 2",
      )
      .all();
    expect(last).toEqual([
      { event_seq: 5, status: 'pending', priority: OUTBOX_PRIORITY.normal },
      { event_seq: 4, status: 'superseded', priority: OUTBOX_PRIORITY.normal },
    ]);
    l.db
      .prepare("UPDATE outbox SET status = 'sent', platform_message_id = 'm' || id WHERE status = 'pending'")
      .run();
    expect(l.audit().problems).toEqual([]);
  });

  it('keeps rows in the order things happened: an event’s rows before a reply queued after it', () => {
    const l = tempLedger();
    l.createTask({ title: 'a' }, 'cli');
    const replyId = l.outbox.add('main', 'reply', OUTBOX_PRIORITY.urgent, { text: 'created T-1' });
    const ids = l.db.prepare('SELECT id, kind FROM outbox ORDER BY id').all() as {
      id: number;
      kind: string;
    }[];
    expect(ids.map((r) => r.kind)).toEqual(['status', 'reply']);
    expect(ids[1]!.id).toBe(replyId);
  });

  it('queues nothing and moves no cursor when its transaction rolls back (a crash mid-batch)', () => {
    const l = tempLedger();
    for (let i = 0; i < 3; i++) l.createTask({ title: `t${i}` }, 'cli');
    expect(() =>
      l.core.write(() => {
        expect(queueEventsInWrite(l.core)).toBe(3);
        throw new Error('power cut');
      }),
    ).toThrow('power cut');
    expect(outboxCount(l)).toBe(0);
    expect(queuedThrough(l.core)).toBe(0);
    l.outbox.queueEvents();
    expect(rowsPerEvent(l)).toEqual([
      [1, 1],
      [2, 1],
      [3, 1],
    ]);
  });

  it('queues a long backlog in batches, each event exactly once, skipping events the channel never sees', () => {
    const l = tempLedger();
    const n = QUEUE_BATCH * 2 + 17;
    l.transaction(() => {
      for (let i = 0; i < n; i++) l.createTask({ title: `t${i}` }, 'cli');
    });
    l.registerAgent({ id: 'quiet', skills: [], capacity: 1 }); // an event with no rows
    const writes = countWrites(l);
    expect(l.outbox.queueEvents()).toBe(l.lastEventSeq());
    expect(writes.length).toBe(3);
    const per = rowsPerEvent(l);
    expect(per).toHaveLength(n);
    expect(per.every(([, rows]) => rows === 1)).toBe(true);
    expect(queuedThrough(l.core)).toBe(l.lastEventSeq());
  });

  it('a batch planned while another connection queued it is planned again, not written twice', () => {
    const l = tempLedger();
    const other = reopened(l);
    for (let i = 0; i < 5; i++) l.createTask({ title: `t${i}` }, 'cli');
    // `other` queues between l's planning (a read) and its write, as another process can.
    const write = l.core.write.bind(l.core);
    let raced = false;
    l.core.write = <T>(fn: () => T): T => {
      if (!raced) {
        raced = true;
        other.outbox.queueEvents();
        l.createTask({ title: 'late' }, 'cli');
      }
      return write(fn);
    };
    expect(l.outbox.queueEvents()).toBe(1); // only the late task's event was left to it
    expect(rowsPerEvent(l)).toEqual([1, 2, 3, 4, 5, 6].map((seq) => [seq, 1]));
  });

  it('two connections queueing in turn queue each event once', () => {
    const l = tempLedger();
    const other = reopened(l);
    for (let round = 0; round < 20; round++) {
      l.createTask({ title: `from l ${round}` }, 'cli');
      other.createTask({ title: `from other ${round}` }, 'cli');
      (round % 2 ? l : other).outbox.queueEvents();
      if (round % 3 === 0) other.outbox.queueEvents();
    }
    l.outbox.queueEvents();
    other.outbox.queueEvents();
    const per = rowsPerEvent(l);
    expect(per).toHaveLength(40);
    expect(per.every(([, rows]) => rows === 1)).toBe(true);
  });

  it('queues each event for the channels in effect when it happened, whichever process queues it', () => {
    const l = tempLedger();
    const agentProcess = reopened(l);
    agentProcess.createTask({ title: 'before' }, 'cli'); // the agent process caches ['main']
    l.setChannels(['a', 'b']); // queues 'before' for main first
    agentProcess.createTask({ title: 'after' }, 'cli');
    agentProcess.outbox.queueEvents(); // reads the channels again: a and b, not its cached main
    const rows = l.db.prepare('SELECT task_id, channel FROM outbox ORDER BY id').all();
    expect(rows).toEqual([
      { task_id: 'T-1', channel: 'main' },
      { task_id: 'T-2', channel: 'a' },
      { task_id: 'T-2', channel: 'b' },
    ]);
  });

  it('the audit and the board count an event not queued yet as waiting, not as lost', () => {
    const clock = manualClock();
    const l = tempLedger({ clock });
    l.createTask({ title: 'a' }, 'cli');
    l.outbox.queueEvents();
    l.db.prepare("UPDATE outbox SET status = 'sent', platform_message_id = 'm' || id").run();
    expect(l.audit().problems).toEqual([]);
    clock.advance(5_000);
    l.addNote('T-1', 'later', 'cli');
    clock.advance(5_000);
    expect(l.audit().problems).toEqual([
      { seq: 2, kind: 'pending', problem: 'not posted yet (not even queued: no poster has looked since)' },
    ]);
    expect(mirrorHealth(l, 'memory')).toMatchObject({ backlog: 1, oldestPendingAt: clock.now() - 5_000 });
    l.outbox.queueEvents();
    expect(mirrorHealth(l, 'memory')).toMatchObject({ backlog: 1 });
    expect(l.audit().problems.map((p) => p.problem)).toEqual([
      'detail message on main not posted yet (pending)',
    ]);
  });

  it('prune queues first, so no event’s rows are taken for pruned', () => {
    const l = tempLedger();
    l.createTask({ title: 'a' }, 'cli');
    l.outbox.queueEvents();
    l.db.prepare("UPDATE outbox SET status = 'sent', platform_message_id = 'm' || id").run();
    l.addNote('T-1', 'not queued yet', 'cli');
    l.prune({ cutoffMs: l.core.now() + 1, dryRun: false, actor: 'cli' });
    expect(eventsBehind(l.core)).toBe(0);
    expect(rowsPerEvent(l).map(([seq]) => seq)).toContain(2);
    expect(l.audit().problems.map((p) => p.problem)).toEqual([
      'detail message on main not posted yet (pending)',
    ]);
  });
});

/** Counts the write transactions `l` takes from here on (nested ones included). */
function countWrites(l: Ledger): number[] {
  const writes: number[] = [];
  const write = l.core.write.bind(l.core);
  l.core.write = <T>(fn: () => T): T => {
    writes.push(1);
    return write(fn);
  };
  return writes;
}

describe('outbox queue: backlogs, large results, damage and an older process', () => {
  it('queues a backlog in committed batches before a channel change, a reply or a prune', () => {
    for (const act of [
      (l: Ledger) => l.setChannels(['x']),
      (l: Ledger) => l.outbox.add('main', 'reply', OUTBOX_PRIORITY.urgent, { text: 'hi' }),
      (l: Ledger) => l.prune({ cutoffMs: 0, dryRun: false, actor: 'cli' }),
    ]) {
      const l = tempLedger();
      l.transaction(() => {
        for (let i = 0; i < QUEUE_BATCH * 2 + 5; i++) l.createTask({ title: `t${i}` }, 'cli');
      });
      const writes = countWrites(l);
      act(l);
      // Three batches of their own, then the one transaction of the act (not one holding them all).
      expect(writes.length).toBeGreaterThanOrEqual(4);
      expect(eventsBehind(l.core)).toBe(0);
      expect(rowsPerEvent(l)).toHaveLength(QUEUE_BATCH * 2 + 5);
    }
  });

  it('ends a batch early when the events carry large results', () => {
    const l = tempLedger();
    const big = 'r'.repeat(1_500_000);
    for (let i = 0; i < 5; i++) l.createTask({ title: `t${i}` }, 'cli');
    l.outbox.queueEvents();
    for (let i = 0; i < 5; i++) expect(l.complete(claimed(l), big).ok).toBe(true);
    const writes = countWrites(l);
    l.outbox.queueEvents();
    // 10 events, about 7.5 MB of data: more than one batch although far fewer than QUEUE_BATCH.
    expect(writes.length).toBeGreaterThan(1);
    expect(rowsPerEvent(l)).toHaveLength(15);
  });

  it('queues past an event whose data was damaged by hand, planning it as an event without data', () => {
    const l = tempLedger();
    const a = l.createTask({ title: 'a' }, 'cli').task.id;
    l.addNote(a, 'kept', 'alice');
    l.addNote(a, 'damaged', 'alice');
    l.addNote(a, 'also damaged', 'alice');
    l.db.prepare("UPDATE events SET data = '{cut' WHERE seq = 3").run();
    l.db.prepare('UPDATE events SET data = \'["not an object"]\' WHERE seq = 4').run();
    l.outbox.queueEvents();
    expect(eventsBehind(l.core)).toBe(0);
    const payloads = l.db
      .prepare("SELECT event_seq, payload FROM outbox WHERE kind = 'detail' ORDER BY event_seq")
      .all() as { event_seq: number; payload: string }[];
    // The intact note's line says what it said; the damaged ones carry none of their data.
    expect(payloads.find((p) => p.event_seq === 2)?.payload).toContain('kept');
    expect(
      payloads
        .filter((p) => p.event_seq > 2)
        .map((p) => p.payload)
        .join(),
    ).not.toMatch(/damaged|not an object/);
  });

  it('refuses to queue from a ledger that lost its cursor (it would post its whole history again)', () => {
    const l = tempLedger();
    l.createTask({ title: 'a' }, 'cli');
    l.db.prepare("DELETE FROM kv WHERE key = 'outbox_queued_seq'").run();
    expect(() => l.outbox.queueEvents()).toThrow(/lost its outbox cursor/);
    expect(outboxCount(l)).toBe(0);
  });

  it('refuses an event’s row written past the cursor, as a still-running older chat-swarm would', () => {
    const l = tempLedger();
    l.createTask({ title: 'a' }, 'cli');
    const oldStyle = l.db.prepare(
      "INSERT INTO outbox (channel, kind, event_seq, task_id, priority, payload, created_at) VALUES ('main', 'status', ?, 'T-1', 1, '{}', 1)",
    );
    expect(() => oldStyle.run(1)).toThrow(/older chat-swarm process is writing to this ledger/);
    l.outbox.queueEvents();
    expect(rowsPerEvent(l)).toEqual([[1, 1]]);
  });
});

describe('migration 8 on a version-7 ledger', () => {
  it('counts every event so far as queued: their rows exist, none is queued twice', () => {
    const path = join(tempDir(), 'v7.db');
    const db = new Database(path);
    db.pragma('journal_mode = WAL');
    for (const sql of MIGRATIONS.slice(0, 7)) db.exec(sql);
    db.pragma('user_version = 7');
    db.exec(`
      INSERT INTO events (seq, at, type, task_id, agent_id, actor, data, mirrored, prev_hash, hash)
        VALUES (1, 1, 'task_note', 'T-9', NULL, 'cli', '{"note":"x"}', 1, 'p', 'h'),
               (2, 2, 'task_note', 'T-9', NULL, 'cli', '{"note":"y"}', 1, 'h', 'h2');
      INSERT INTO outbox (channel, kind, event_seq, task_id, priority, payload, created_at)
        VALUES ('main', 'detail', 1, 'T-9', 5, '{"text":"x"}', 1);
    `);
    db.close();
    // Audited read-only (so not upgraded): event 2 lost its row under the old code, which wrote
    // every event's rows with it. A mirror problem, not a wait for the queue.
    const ro = Ledger.open(path, { readonly: true });
    try {
      const mirror = ro.audit().problems.filter((p) => p.kind === 'mirror' || p.kind === 'pending');
      expect(mirror.map((p) => [p.seq, p.kind])).toEqual([
        [1, 'pending'],
        [2, 'mirror'],
      ]);
    } finally {
      ro.close();
    }
    const l = Ledger.open(path);
    try {
      expect(queuedThrough(l.core)).toBe(2);
      expect(l.outbox.queueEvents()).toBe(0);
      expect(outboxCount(l)).toBe(1);
    } finally {
      l.close();
    }
  });
});
