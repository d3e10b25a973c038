/**
 * Message ids name a message only within one channel: Telegram numbers messages per chat, so a
 * swarm mirroring to two groups has a message 42 in each. Every lookup from a platform message id to
 * a task or a row answers for the channel the message arrived on, and stays on the message-id index.
 */
import { describe, expect, it, vi } from 'vitest';
import type { Ledger } from '../../src/ledger/ledger.ts';
import { OUTBOX_PRIORITY } from '../../src/ledger/outbox-payload.ts';
import { tempLedger } from '../support/temp-ledger.ts';

/** Marks one channel's pending row of `taskId` and `kind` sent as `messageId`. */
function sendRow(ledger: Ledger, channel: string, taskId: string, kind: string, messageId: string): void {
  const row = ledger.outbox.due(channel, 1_000).find((r) => r.taskId === taskId && r.kind === kind);
  if (!row) throw new Error(`no pending ${kind} row of ${taskId} in ${channel}`);
  ledger.outbox.markSent(row.id, messageId);
}

/** T-1 and T-2 mirrored to channels a and b; message 42 is T-1's in a and T-2's in b. */
function collidingLedger(): Ledger {
  const ledger = tempLedger();
  ledger.setChannels(['a', 'b']);
  ledger.createTask({ title: 'first' }, 'cli');
  ledger.createTask({ title: 'second' }, 'cli');
  sendRow(ledger, 'a', 'T-1', 'status', '42');
  sendRow(ledger, 'a', 'T-2', 'status', '43');
  sendRow(ledger, 'b', 'T-1', 'status', '41');
  sendRow(ledger, 'b', 'T-2', 'status', '42');
  return ledger;
}

/** The SQL texts the ledger's statements were looked up by while `run` ran. */
function sqlTextsOf(ledger: Ledger, run: () => void): string[] {
  const texts: string[] = [];
  const sql = ledger.core.sql.bind(ledger.core);
  const spy = vi.spyOn(ledger.core, 'sql').mockImplementation((text: string) => {
    texts.push(text);
    return sql(text);
  });
  try {
    run();
  } finally {
    spy.mockRestore();
  }
  return texts;
}

describe('message-id lookups scoped by channel', () => {
  it('maps the same message id to each channel’s own task', () => {
    const ledger = collidingLedger();
    expect(ledger.outbox.taskOfMessage('a', '42')).toBe('T-1');
    expect(ledger.outbox.taskOfMessage('b', '42')).toBe('T-2');
    expect(ledger.outbox.taskOfMessage('b', '43')).toBeUndefined();
    expect(ledger.outbox.taskOfMessage('c', '42')).toBeUndefined();
  });

  it('says the swarm posted an id only in the channel where it did', () => {
    const ledger = collidingLedger();
    expect(ledger.outbox.postedBySwarm('a', '43')).toBe(true);
    expect(ledger.outbox.postedBySwarm('b', '43')).toBe(false);
    expect(ledger.outbox.postedBySwarm('b', '41')).toBe(true);
    expect(ledger.outbox.postedBySwarm('a', '41')).toBe(false);
  });

  it('finds a task by its main message in the channel’s task messages when no outbox row has the id', () => {
    const ledger = tempLedger();
    ledger.setChannels(['a', 'b']);
    ledger.createTask({ title: 'first' }, 'cli');
    ledger.createTask({ title: 'second' }, 'cli');
    ledger.outbox.setTaskMessage('T-1', 'a', '7');
    ledger.outbox.setTaskMessage('T-2', 'b', '7');
    expect(ledger.outbox.taskOfMessage('a', '7')).toBe('T-1');
    expect(ledger.outbox.taskOfMessage('b', '7')).toBe('T-2');
    expect(ledger.outbox.taskOfThread('b', '7')).toBe('T-2');
  });

  it('takes a thread for a task’s only when it holds that one task’s details', () => {
    const ledger = tempLedger();
    ledger.setChannels(['a', 'b']);
    for (const title of ['first', 'second', 'third']) ledger.createTask({ title }, 'cli');
    // Channel a: a Discord-like thread per task. Channel b: one forum topic (9) holding every task.
    ledger.outbox.setTaskMessage('T-1', 'a', '100');
    ledger.outbox.setTaskThread('T-1', 'a', '100');
    ledger.outbox.setTaskMessage('T-3', 'a', '300');
    ledger.outbox.setTaskThread('T-3', 'a', '9');
    for (const [taskId, id] of [
      ['T-1', '11'],
      ['T-2', '12'],
    ] as const) {
      ledger.outbox.setTaskMessage(taskId, 'b', id);
      ledger.outbox.setTaskThread(taskId, 'b', '9');
    }
    expect(ledger.outbox.taskOfThread('a', '100')).toBe('T-1');
    expect(ledger.outbox.taskOfThread('a', '9')).toBe('T-3');
    expect(ledger.outbox.taskOfThread('b', '9')).toBeUndefined();
    expect(ledger.outbox.taskOfThread('b', '12')).toBe('T-2');
    expect(ledger.outbox.taskOfMessage('b', '9')).toBeUndefined();
  });

  it('sees an unposted prompt only in its own channel', () => {
    const ledger = tempLedger();
    ledger.outbox.add('a', 'reply', OUTBOX_PRIORITY.urgent, { text: 'reply here', prompt: 'x' }, {});
    expect(ledger.outbox.hasUnpostedPrompt('a')).toBe(true);
    expect(ledger.outbox.hasUnpostedPrompt('b')).toBe(false);
  });

  it('looks message ids up through the outbox_message index', () => {
    const ledger = collidingLedger();
    const texts = sqlTextsOf(ledger, () => {
      expect(ledger.outbox.taskOfMessage('b', '42')).toBe('T-2');
      expect(ledger.outbox.postedBySwarm('b', '42')).toBe(true);
      expect(ledger.outbox.taskOfThread('b', '42')).toBe('T-2');
    });
    // Each found its answer in the outbox, on the index: no scan of the task messages.
    expect(texts.filter((t) => /FROM task_messages\b/.test(t))).toEqual([]);
    const onOutbox = texts.filter((t) => /FROM outbox\b/.test(t));
    expect(onOutbox).toHaveLength(3);
    for (const text of onOutbox) {
      const params = (text.match(/\?/g) ?? []).map((_, i) => (i === 0 ? '42' : 'b'));
      const plan = ledger.db.prepare(`EXPLAIN QUERY PLAN ${text}`).all(...params) as { detail: string }[];
      expect(plan.map((p) => p.detail).join(' | ')).toMatch(/USING (COVERING )?INDEX outbox_message\b/);
    }
  });

  it('finds a main message or a thread in the task messages on their indexes, not by a scan', () => {
    const ledger = collidingLedger();
    // An id with no outbox row: the lookup falls back to the task messages.
    const texts = sqlTextsOf(ledger, () => ledger.outbox.taskOfThread('b', 'no-such-id'));
    const fallback = texts.filter((t) => /FROM task_messages\b/.test(t));
    expect(fallback).toHaveLength(1);
    const plan = (
      ledger.db.prepare(`EXPLAIN QUERY PLAN ${fallback[0]!}`).all('b', 'x', 'b', 'x') as { detail: string }[]
    ).map((p) => p.detail);
    expect(plan.join(' | ')).toMatch(/INDEX task_messages_message \(channel=\? AND message_id=\?\)/);
    expect(plan.join(' | ')).toMatch(/INDEX task_messages_thread \(channel=\? AND thread_id=\?\)/);
    expect(plan.join(' | ')).not.toMatch(/SCAN task_messages/);
  });
});
