import { describe, expect, it } from 'vitest';
import { manualClock, tempLedger } from '../support/temp-ledger.ts';

const CODER = { id: 'coder-1', skills: ['code'] };

describe('workLeftFor (what agent --until-idle waits for)', () => {
  it('is nothing when the only open tasks need skills the agent lacks or belong to another agent', () => {
    const ledger = tempLedger();
    ledger.createTask({ title: 'design', skills: ['design'] }, 'test');
    ledger.createTask({ title: 'for someone else', skills: ['code'], assignee: 'coder-2' }, 'test');
    expect(ledger.workLeftFor(CODER)).toBeUndefined();
  });

  it('counts a task it can claim now, one assigned to it, and one it holds', () => {
    const ledger = tempLedger();
    ledger.createTask({ title: 'mine', skills: ['code'], assignee: 'coder-1' }, 'test');
    expect(ledger.workLeftFor(CODER)).toEqual({ kind: 'claimable', taskId: 'T-1' });
    expect(ledger.claimNext(CODER).kind).toBe('claimed');
    expect(ledger.workLeftFor(CODER)).toEqual({ kind: 'held', taskId: 'T-1' });
    // Held by another agent: not this one's work.
    expect(ledger.workLeftFor({ id: 'coder-2', skills: ['code'] })).toBeUndefined();
  });

  it('waits for a retry backoff to end', () => {
    const clock = manualClock();
    const ledger = tempLedger({ clock, retryBaseMs: 60_000 });
    ledger.createTask({ title: 'flaky', skills: ['code'], maxAttempts: 2 }, 'test');
    const claim = ledger.claimNext(CODER);
    if (claim.kind !== 'claimed') throw new Error('no claim');
    ledger.fail({ taskId: 'T-1', attempt: claim.attempt, agentId: CODER.id }, 'boom');
    expect(ledger.claimNext(CODER).kind).toBe('none');
    expect(ledger.workLeftFor(CODER)).toEqual({ kind: 'claimable', taskId: 'T-1' });
  });

  it('waits for dependencies that can still finish, not for ones that failed or were cancelled', () => {
    const ledger = tempLedger();
    ledger.createTask({ title: 'design first', skills: ['design'] }, 'test');
    ledger.createTask({ title: 'then code', skills: ['code'], dependsOn: ['T-1'] }, 'test');
    ledger.createTask({ title: 'and more code', skills: ['code'], dependsOn: ['T-2'] }, 'test');
    expect(ledger.workLeftFor(CODER)).toEqual({ kind: 'waiting', taskId: 'T-2' });
    ledger.cancel('T-1', 'test');
    // T-2 waits on a cancelled task, T-3 on T-2: neither can run without a person.
    expect(ledger.workLeftFor(CODER)).toBeUndefined();
    ledger.retry('T-1', 'test');
    expect(ledger.workLeftFor(CODER)).toEqual({ kind: 'waiting', taskId: 'T-2' });
  });

  it('does not count tasks under review or finished', () => {
    const ledger = tempLedger();
    ledger.createTask({ title: 'reviewed', skills: ['code'], review: true }, 'test');
    const claim = ledger.claimNext(CODER);
    if (claim.kind !== 'claimed') throw new Error('no claim');
    ledger.complete({ taskId: 'T-1', attempt: claim.attempt, agentId: CODER.id }, 'result');
    expect(ledger.getTask('T-1')?.status).toBe('review');
    expect(ledger.workLeftFor(CODER)).toBeUndefined();
  });
});

describe('workLeftFor and tasks other agents hold', () => {
  it('waits for a task whose holder went silent, not for one whose holder keeps beating', () => {
    const clock = manualClock();
    const ledger = tempLedger({ clock, leaseMs: 30_000 });
    ledger.createTask({ title: 'held', skills: ['code'] }, 'test');
    const claim = ledger.claimNext({ id: 'other-1', skills: ['code'] });
    if (claim.kind !== 'claimed') throw new Error('no claim');
    expect(ledger.workLeftFor(CODER)).toBeUndefined();
    clock.advance(9_000);
    ledger.heartbeat({ taskId: 'T-1', attempt: claim.attempt, agentId: 'other-1' });
    clock.advance(9_000);
    expect(ledger.workLeftFor(CODER)).toBeUndefined();
    clock.advance(2_000);
    expect(ledger.workLeftFor(CODER)).toEqual({ kind: 'stalled', taskId: 'T-1' });
    // Not for an agent that could not take it anyway.
    expect(ledger.workLeftFor({ id: 'designer-1', skills: ['design'] })).toBeUndefined();
  });
});
