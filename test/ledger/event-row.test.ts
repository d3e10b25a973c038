import { describe, expect, it } from 'vitest';
import { eventOfRow } from '../../src/ledger/event-ops.ts';
import { tempLedger } from '../support/temp-ledger.ts';

describe('eventOfRow: one mapping of stored event rows for the ledger and the board', () => {
  it('maps every column, and the ledger’s event list is that mapping', () => {
    const l = tempLedger();
    const id = l.createTask({ title: 'a', body: 'b' }, 'cli').task.id;
    l.addNote(id, 'n', 'alice');
    const rows = l.db.prepare('SELECT * FROM events ORDER BY seq').all() as Parameters<
      typeof eventOfRow
    >[0][];
    const events = rows.map((r) => eventOfRow(r));
    expect(events[1]).toEqual({
      seq: rows[1]!.seq,
      at: rows[1]!.at,
      type: 'task_note',
      taskId: id,
      agentId: null,
      actor: 'alice',
      data: JSON.parse(rows[1]!.data),
      prevHash: rows[1]!.prev_hash,
      hash: rows[1]!.hash,
    });
    expect(events[1]!.data).toMatchObject({ note: 'n' });
    expect(l.events()).toEqual(events);
  });

  it('names a damaged event when listing events, and shows it without data where tolerated', () => {
    const l = tempLedger();
    const id = l.createTask({ title: 'a' }, 'cli').task.id;
    l.addNote(id, 'n', 'alice');
    l.db.prepare("UPDATE events SET data = '{not json' WHERE seq = 2").run();
    expect(() => l.events()).toThrow(/event 2: its data is not a JSON object/);
    const row = l.db.prepare('SELECT * FROM events WHERE seq = 2').get() as Parameters<typeof eventOfRow>[0];
    expect(eventOfRow(row, true)).toMatchObject({
      seq: 2,
      type: 'task_note',
      data: {},
      damagedData: '{not json',
    });
    expect(l.events({ tolerant: true })[1]).toMatchObject({ seq: 2, data: {}, damagedData: '{not json' });
    expect(l.events({ tolerant: true })[0]).not.toHaveProperty('damagedData');
    // Valid JSON that is not an object is damage too.
    l.db.prepare("UPDATE events SET data = '[1]' WHERE seq = 2").run();
    expect(() => l.events({ taskId: id })).toThrow(/event 2/);
    expect(eventOfRow({ ...row, data: '[1]' }, true)).toMatchObject({ data: {}, damagedData: '[1]' });
  });
});
