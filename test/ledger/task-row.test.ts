import { describe, expect, it } from 'vitest';
import { TASK_COLUMNS, taskRowFromRaw } from '../../src/ledger/task-row.ts';
import { blockedTask, tempLedger } from '../support/temp-ledger.ts';

describe('taskRowFromRaw', () => {
  it('reads every column of the tasks table, each under its own name', () => {
    const l = tempLedger();
    l.createTask({ title: 'plain' }, 'cli');
    l.createTask(
      { title: 'full', body: 'b', skills: ['x'], priority: 9, review: true, assignee: 'a1', key: 'k1' },
      'cli',
    );
    const asked = blockedTask(l, 'asked');
    l.answer(asked, 'yes', 'alice');
    const done = l.createTask({ title: 'done' }, 'cli').task.id;
    const claim = l.claimTask(done, { id: 'a2', skills: [] });
    if (claim.kind !== 'claimed') throw new Error(claim.kind);
    l.progress({ taskId: done, attempt: claim.attempt, agentId: 'a2' }, 40, 'half');
    l.complete({ taskId: done, attempt: claim.attempt, agentId: 'a2' }, 'ok');

    // Column for column against better-sqlite3's own named rows (SELECT *): nothing missing, none
    // extra, none shifted.
    const named = l.db.prepare('SELECT * FROM tasks ORDER BY seq').all() as Record<string, unknown>[];
    const raw = l.db.prepare(`SELECT ${TASK_COLUMNS} FROM tasks ORDER BY seq`).raw(true).all();
    expect(raw.map(taskRowFromRaw)).toEqual(named);
    expect(Object.keys(named[0]!).sort()).toEqual(TASK_COLUMNS.split(', ').sort());
    // Values that tell columns apart, so a shifted mapping cannot pass by chance.
    expect(named.map((r) => r.status)).toEqual(['queued', 'queued', 'claimed', 'done']);
    expect(l.getTask(done)).toMatchObject({ status: 'done', result: 'ok', attempt: 1 });
  });
});

describe('the claim’s row, read as one JSON array', () => {
  it('gives back every text exactly as stored, whatever characters it holds', () => {
    const l = tempLedger();
    const odd =
      'quote " backslash \\ newline \n tab \t nul \0 end; emoji 🐝, accents é, CJK 漢字, \u2028 \u001f';
    const { task } = l.createTask(
      { title: odd, body: `${odd}\n${'x'.repeat(70_000)}`, skills: ['s "1"'] },
      'cli',
    );
    const claim = l.claimNext({ id: 'a1', skills: ['s "1"'] });
    if (claim.kind !== 'claimed') throw new Error(claim.kind);
    expect(claim.task.title).toBe(odd);
    expect(claim.task.body).toBe(`${odd}\n${'x'.repeat(70_000)}`);
    expect(claim.task.skills).toEqual(['s "1"']);
    // The same task as the named-column read gives it, apart from what the claim changed.
    expect(claim.task).toEqual(l.getTask(task.id));
  });

  it('still claims a task whose row holds a BLOB (a hand edit), which json_array refuses', () => {
    const l = tempLedger();
    const { task } = l.createTask({ title: 'edited by hand' }, 'cli');
    l.db.prepare('UPDATE tasks SET body = ? WHERE id = ?').run(Buffer.from('raw bytes'), task.id);
    expect(() => l.db.prepare('SELECT json_array(body) FROM tasks WHERE id = ?').get(task.id)).toThrow(
      /BLOB/,
    );
    const claim = l.claimNext({ id: 'a1', skills: [] });
    expect(claim.kind).toBe('claimed');
    if (claim.kind !== 'claimed') return;
    expect(claim.task.id).toBe(task.id);
    expect(l.complete({ taskId: task.id, attempt: claim.attempt, agentId: 'a1' }, 'ok').ok).toBe(true);
  });
});
