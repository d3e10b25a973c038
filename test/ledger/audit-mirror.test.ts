import { describe, expect, it } from 'vitest';
import { queued, tempLedger } from '../support/temp-ledger.ts';

/**
 * The mirror check walks the outbox once in event order beside the mirrored events (the outbox has
 * no index on event_seq): every outcome must land on the event it belongs to.
 */
describe('audit: every event meant for the channel reached it', () => {
  it('finds each event’s rows in one ordered pass: sent, superseded, failed, pending, missing', () => {
    const l = tempLedger();
    for (let i = 1; i <= 6; i++) l.createTask({ title: `t${i}` }, 'cli');
    // Events that stay in the ledger only sit between mirrored ones.
    l.registerAgent({ id: 'x', skills: [], capacity: 1 });
    const c = l.claimNext({ id: 'x', skills: [] });
    if (c.kind !== 'claimed') throw new Error('claim');
    l.complete({ taskId: c.task.id, attempt: c.attempt, agentId: 'x' }, 'ok');
    l.addNote('T-2', 'a note', 'cli');
    l.addNote('T-3', 'another', 'cli');
    queued(l)
      .db.prepare(
        "UPDATE outbox SET status = 'sent', platform_message_id = 'm' || id WHERE status = 'pending'",
      )
      .run();
    expect(l.audit().problems).toEqual([]);

    const seqOf = (type: string, task: string): number =>
      (
        l.db.prepare('SELECT seq FROM events WHERE type = ? AND task_id = ?').get(type, task) as {
          seq: number;
        }
      ).seq;
    const noteT2 = seqOf('task_note', 'T-2');
    const noteT3 = seqOf('task_note', 'T-3');
    const createdT4 = seqOf('task_created', 'T-4');
    const createdT5 = seqOf('task_created', 'T-5');
    // T-4's status row failed; T-5's row is gone; T-2's note is waiting; T-3's note failed too.
    l.db
      .prepare("UPDATE outbox SET status = 'failed', last_error = 'chat gone' WHERE event_seq = ?")
      .run(createdT4);
    l.db.prepare('DELETE FROM outbox WHERE event_seq = ?').run(createdT5);
    l.db.prepare("UPDATE outbox SET status = 'pending' WHERE event_seq = ?").run(noteT2);
    l.db
      .prepare("UPDATE outbox SET status = 'failed', last_error = 'too long' WHERE event_seq = ?")
      .run(noteT3);
    // T-6's status row superseded by a later one that was sent: fine.
    const createdT6 = seqOf('task_created', 'T-6');
    l.db.prepare("UPDATE outbox SET status = 'superseded' WHERE event_seq = ?").run(createdT6);
    l.setPriority('T-6', 9, 'cli');
    queued(l)
      .db.prepare("UPDATE outbox SET status = 'sent' WHERE status = 'pending' AND task_id = 'T-6'")
      .run();

    const problems = l.audit().problems.map((p) => [p.seq, p.kind, p.problem]);
    expect(problems).toEqual([
      [createdT4, 'mirror', 'status message on main failed to post: chat gone'],
      [createdT5, 'mirror', 'meant for the channel but has no outbox row'],
      [noteT2, 'pending', 'detail message on main not posted yet (pending)'],
      [noteT3, 'mirror', 'detail message on main failed to post: too long'],
    ]);
  });

  it('does not accept a superseded status row whose later row was never sent', () => {
    const l = tempLedger();
    l.createTask({ title: 'a' }, 'cli');
    l.setPriority('T-1', 8, 'cli');
    // The created event's status row is superseded by the priority event's, which is still pending.
    const rows = queued(l)
      .db.prepare("SELECT event_seq, status FROM outbox WHERE kind = 'status' ORDER BY id")
      .all();
    expect(rows).toEqual([
      { event_seq: 1, status: 'superseded' },
      { event_seq: 2, status: 'pending' },
    ]);
    const kinds = l.audit().problems.map((p) => [p.seq, p.kind]);
    expect(kinds).toContainEqual([1, 'pending']);
  });
});
