import { describe, expect, it } from 'vitest';
import { MAX_ACTION_DATA_BYTES } from '../../src/chat/chat-port.ts';
import {
  actionsFor,
  encodeActionData,
  isCurrent,
  parseActionData,
  TASK_ACTION_NAMES,
} from '../../src/chat/task-actions.ts';
import type { Task, TaskStatus } from '../../src/core/types.ts';

function task(status: TaskStatus, id = 'T-17'): Task {
  return {
    id,
    title: 'Design a logo',
    body: '',
    skills: [],
    priority: 5,
    dependsOn: [],
    review: false,
    timeoutMs: 60_000,
    maxAttempts: 3,
    status,
    attempt: 1,
    owner: null,
    assignee: null,
    leaseExpiresAt: null,
    notBefore: 0,
    progressPct: null,
    progressText: null,
    question: null,
    result: null,
    lastError: null,
    waitingReason: null,
    notes: [],
    createdBy: 'test',
    idempotencyKey: null,
    createdAt: 0,
    updatedAt: 0,
  };
}

const labels = (t: Task): string[] => actionsFor(t, '1a').map((a) => a.label);

describe('task actions', () => {
  it('offers the buttons that fit each state', () => {
    expect(labels(task('queued'))).toEqual(['🛑 Cancel']);
    expect(labels(task('claimed'))).toEqual(['🛑 Cancel']);
    expect(labels(task('blocked'))).toEqual(['💬 Answer', '🛑 Cancel']);
    expect(labels(task('review'))).toEqual(['✅ Approve', '↩️ Reject']);
    expect(labels(task('failed'))).toEqual(['🔁 Retry']);
    expect(labels(task('cancelled'))).toEqual(['🔁 Retry']);
    expect(labels(task('done'))).toEqual([]);
  });

  it('marks the actions that ask for text and names the typed command', () => {
    const [approve, reject] = actionsFor(task('review'), '1a');
    expect(approve!.asksText).toBeUndefined();
    expect(approve!.command).toBe('/approve T-17');
    expect(reject!.asksText).toEqual({ title: 'Reject T-17', label: 'Feedback for the next attempt' });
    expect(reject!.command).toBe('/reject T-17 <feedback>');
  });

  it('round-trips every action through its button data', () => {
    for (const action of TASK_ACTION_NAMES) {
      const ref = { action, taskId: 'ORA-001.x_y', stamp: 'zz9' };
      expect(parseActionData(encodeActionData(ref))).toEqual(ref);
    }
  });

  it('keeps every button within 64 bytes and drops the buttons of a task whose key is too long', () => {
    const key = 'K'.repeat(64);
    expect(actionsFor(task('review', key), '1a')).toEqual([]);
    const fits = 'K'.repeat(MAX_ACTION_DATA_BYTES - 'ts1:a::zzzzzz'.length);
    const actions = actionsFor(task('review', fits), 'zzzzzz');
    expect(actions).toHaveLength(2);
    for (const a of actions) expect(Buffer.byteLength(a.data)).toBeLessThanOrEqual(MAX_ACTION_DATA_BYTES);
  });

  it('refuses forged, malformed and oversized data', () => {
    const forged: unknown[] = [
      '',
      'ts1',
      'ts1:a:T-1',
      'ts1:x:T-1:1',
      'ts2:a:T-1:1',
      'ts1:a:T-1:1:extra',
      'ts1:a:../etc:1',
      'ts1:a:T 1:1',
      'ts1:a:T-1:ABC',
      'ts1:a:T-1:',
      `ts1:a:${'K'.repeat(70)}:1`,
      'ts1:a:T-1:1\n',
      'ts1:a:Т-1:1', // Cyrillic Т
      42,
      null,
      { action: 'approve' },
    ];
    for (const data of forged) expect(parseActionData(data), String(data)).toBeUndefined();
  });

  it('is current only for the same stamp and a state the action applies to', () => {
    const ref = { action: 'approve' as const, taskId: 'T-17', stamp: '1a' };
    expect(isCurrent(ref, task('review'), '1a')).toBe(true);
    expect(isCurrent(ref, task('review'), '1b')).toBe(false);
    expect(isCurrent(ref, task('queued'), '1a')).toBe(false);
  });
});
