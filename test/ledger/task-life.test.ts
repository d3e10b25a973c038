import { describe, expect, it, vi } from 'vitest';
import { manualClock, tempLedger } from '../support/temp-ledger.ts';

const agentA = { id: 'a1', skills: ['code', 'design'] };
const agentB = { id: 'b1', skills: ['code'] };

describe('ledger task life', () => {
  it('creates tasks with sequential ids and returns the existing task for a repeated key', () => {
    const l = tempLedger();
    expect(l.createTask({ title: 'one' }, 'cli').task.id).toBe('T-1');
    const first = l.createTask({ title: 'keyed', key: 'ORA-001' }, 'cli');
    const again = l.createTask({ title: 'keyed retry', key: 'ORA-001' }, 'cli');
    expect(first.created).toBe(true);
    expect(again.created).toBe(false);
    expect(again.task.id).toBe('ORA-001');
    expect(again.task.title).toBe('keyed');
    expect(l.listTasks()).toHaveLength(2);
  });

  it('an agent that cannot take what is queued (skills, assignee, a pause) does not take the write lock to find out', () => {
    const l = tempLedger();
    l.createTask({ title: 'design', skills: ['design'] }, 'cli');
    l.createTask({ title: 'for a1', assignee: 'a1' }, 'cli');
    const writes = vi.spyOn(l.core, 'write');
    expect(l.claimNext(agentB).kind).toBe('none');
    expect(writes).not.toHaveBeenCalled();
    l.pause('cli');
    writes.mockClear();
    expect(l.claimNext(agentA).kind).toBe('paused');
    expect(writes).not.toHaveBeenCalled();
    l.resume('cli');
    writes.mockClear();
    const a = l.claimNext(agentA);
    expect(a.kind === 'claimed' && a.task.title).toBe('design');
    expect(writes).toHaveBeenCalledTimes(1);
  });

  it('refuses keys shaped like automatic ids and unknown dependencies', () => {
    const l = tempLedger();
    expect(() => l.createTask({ title: 'x', key: 'T-9' }, 'cli')).toThrow(/automatic task id/);
    expect(() => l.createTask({ title: 'x', dependsOn: ['T-42'] }, 'cli')).toThrow(/T-42 does not exist/);
  });

  it('claims by skill, then priority, then age, and never twice', () => {
    const l = tempLedger();
    l.createTask({ title: 'design', skills: ['design'] }, 'cli');
    l.createTask({ title: 'low', skills: ['code'], priority: 1 }, 'cli');
    l.createTask({ title: 'high', skills: ['code'], priority: 9 }, 'cli');
    const b = l.claimNext(agentB);
    expect(b.kind === 'claimed' && b.task.title).toBe('high');
    const b2 = l.claimNext(agentB);
    expect(b2.kind === 'claimed' && b2.task.title).toBe('low');
    expect(l.claimNext(agentB).kind).toBe('none');
    const a = l.claimNext(agentA);
    expect(a.kind === 'claimed' && a.task.title).toBe('design');
    expect(l.claimTask('T-1', agentB).kind).toBe('taken');
  });

  it('refuses a stale attempt and records it as an event (fencing)', () => {
    const clock = manualClock();
    const l = tempLedger({ clock, leaseMs: 1_000, retryBaseMs: 0 });
    l.createTask({ title: 'work' }, 'cli');
    const first = l.claimNext(agentA);
    if (first.kind !== 'claimed') throw new Error('expected a claim');
    clock.advance(5_000);
    expect(l.expireLeases()).toBe(1);
    const second = l.claimNext(agentB);
    if (second.kind !== 'claimed') throw new Error('expected a second claim');
    expect(second.attempt).toBe(2);
    const late = l.complete({ taskId: 'T-1', attempt: 1, agentId: 'a1' }, 'zombie result');
    expect(late).toMatchObject({ ok: false, reason: 'stale', currentAttempt: 2 });
    expect(l.getTask('T-1')!.status).toBe('claimed');
    expect(l.complete({ taskId: 'T-1', attempt: 2, agentId: 'b1' }, 'real result')).toEqual({ ok: true });
    expect(l.getTask('T-1')!.result).toBe('real result');
    expect(l.events().map((e) => e.type)).toContain('stale_write_refused');
    const expired = l.events().find((e) => e.type === 'lease_expired')!;
    expect(expired.agentId).toBe('a1');
    expect(expired.data.silentMs).toBe(5_000);
  });

  it('retries a failed attempt after backoff and fails for good when attempts run out', () => {
    const clock = manualClock();
    const l = tempLedger({ clock, retryBaseMs: 1_000 });
    l.createTask({ title: 'flaky', maxAttempts: 2 }, 'cli');
    const c1 = l.claimNext(agentA);
    if (c1.kind !== 'claimed') throw new Error('claim');
    l.fail({ taskId: 'T-1', attempt: 1, agentId: 'a1' }, 'boom');
    expect(l.getTask('T-1')!.status).toBe('queued');
    expect(l.claimNext(agentA).kind).toBe('none');
    clock.advance(1_300);
    const c2 = l.claimNext(agentA);
    expect(c2.kind).toBe('claimed');
    l.fail({ taskId: 'T-1', attempt: 2, agentId: 'a1' }, 'boom again');
    const t = l.getTask('T-1')!;
    expect(t.status).toBe('failed');
    expect(t.lastError).toBe('boom again');
    l.retry('T-1', 'user:1');
    expect(l.getTask('T-1')!.status).toBe('queued');
    const c3 = l.claimNext(agentA);
    expect(c3.kind === 'claimed' && c3.attempt).toBe(3);
  });

  it('holds dependents until their dependencies are done and shows why when one fails', () => {
    const l = tempLedger({ retryBaseMs: 0 });
    l.createTask({ title: 'base', maxAttempts: 1 }, 'cli');
    l.createTask({ title: 'after', dependsOn: ['T-1'] }, 'cli');
    const c = l.claimNext(agentA);
    expect(c.kind === 'claimed' && c.task.id).toBe('T-1');
    expect(l.claimNext(agentB).kind).toBe('none');
    l.fail({ taskId: 'T-1', attempt: 1, agentId: 'a1' }, 'nope');
    expect(l.getTask('T-2')!.waitingReason).toMatch(/T-1 failed/);
    l.retry('T-1', 'user:1');
    expect(l.getTask('T-2')!.waitingReason).toBeNull();
    const again = l.claimNext(agentA);
    if (again.kind !== 'claimed') throw new Error('claim');
    l.complete({ taskId: 'T-1', attempt: again.attempt, agentId: 'a1' }, 'ok');
    const dep = l.claimNext(agentB);
    expect(dep.kind === 'claimed' && dep.task.id).toBe('T-2');
  });

  it('blocks on a question until answered and hands the answer over once', () => {
    const l = tempLedger();
    l.createTask({ title: 'q' }, 'cli');
    const c = l.claimNext(agentA);
    if (c.kind !== 'claimed') throw new Error('claim');
    const ref = { taskId: 'T-1', attempt: 1, agentId: 'a1' };
    l.ask(ref, 'which colour?');
    expect(l.getTask('T-1')!.status).toBe('blocked');
    expect(l.takeAnswer(ref)).toEqual({ ok: true, answer: null });
    l.answer('T-1', 'blue', 'user:7');
    expect(l.takeAnswer(ref)).toEqual({ ok: true, answer: 'blue' });
    expect(l.takeAnswer(ref)).toEqual({ ok: true, answer: null });
    expect(() => l.answer('T-1', 'again', 'user:7')).toThrow(/no open question/);
  });

  it('sends review results back with feedback and approves them', () => {
    const l = tempLedger();
    l.createTask({ title: 'r', review: true, maxAttempts: 1 }, 'cli');
    const c = l.claimNext(agentA);
    if (c.kind !== 'claimed') throw new Error('claim');
    l.complete({ taskId: 'T-1', attempt: 1, agentId: 'a1' }, 'draft');
    expect(l.getTask('T-1')!.status).toBe('review');
    l.reject('T-1', 'more blue', 'user:1');
    const t = l.getTask('T-1')!;
    expect(t.status).toBe('queued');
    expect(t.notes).toContain('review feedback: more blue');
    const c2 = l.claimNext(agentA);
    expect(c2.kind === 'claimed' && c2.attempt).toBe(2);
    l.complete({ taskId: 'T-1', attempt: 2, agentId: 'a1' }, 'final');
    l.approve('T-1', 'user:1');
    expect(l.getTask('T-1')!.status).toBe('done');
    expect(() => l.approve('T-1', 'user:1')).toThrow(/it is done/);
  });

  it('cancels a running task so its worker becomes stale, and reassigns without spending an attempt', () => {
    const l = tempLedger();
    l.registerAgent({ id: 'b1', skills: ['code'], capacity: 1 });
    l.createTask({ title: 'c1' }, 'cli');
    l.createTask({ title: 'c2', maxAttempts: 1 }, 'cli');
    l.claimTask('T-1', agentA);
    l.cancel('T-1', 'user:1', 'not needed');
    expect(l.heartbeat({ taskId: 'T-1', attempt: 1, agentId: 'a1' })).toMatchObject({ ok: false });
    l.claimTask('T-2', agentA);
    l.assign('T-2', 'b1', 'user:1');
    expect(l.claimNext(agentA).kind).toBe('none');
    const b = l.claimNext(agentB);
    expect(b.kind === 'claimed' && b.task.id).toBe('T-2');
    l.fail({ taskId: 'T-2', attempt: 2, agentId: 'b1' }, 'x');
    expect(l.getTask('T-2')!.status).toBe('failed');
  });

  it('does not let paused agents or a paused swarm claim', () => {
    const l = tempLedger();
    l.registerAgent({ id: 'a1', skills: ['code'], capacity: 1 });
    l.createTask({ title: 'p' }, 'cli');
    l.pause('user:1', 'a1');
    expect(l.claimNext(agentA).kind).toBe('paused');
    l.resume('user:1', 'a1');
    l.pause('user:1');
    expect(l.claimNext(agentA).kind).toBe('paused');
    l.resume('user:1');
    expect(l.claimNext(agentA).kind).toBe('claimed');
  });

  it('answers whether any task is in given states', () => {
    const l = tempLedger();
    expect(l.hasTasksIn(['queued'])).toBe(false);
    l.createTask({ title: 'one' }, 'cli');
    expect(l.hasTasksIn(['queued'])).toBe(true);
    expect(l.hasTasksIn(['claimed', 'blocked'])).toBe(false);
    l.claimNext(agentA);
    expect(l.hasTasksIn(['queued'])).toBe(false);
    expect(l.hasTasksIn(['claimed', 'blocked'])).toBe(true);
    expect(l.hasTasksIn([])).toBe(false);
  });
});
