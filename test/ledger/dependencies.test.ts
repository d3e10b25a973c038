import { afterEach, describe, expect, it } from 'vitest';
import type { IncomingMessage } from '../../src/chat/chat-port.ts';
import { createMemoryChannel, type MemoryChannel } from '../../src/chat/memory-channel.ts';
import { renderTaskMessage } from '../../src/chat/render-task.ts';
import { handleIncoming } from '../../src/commands/command-handler.ts';
import type { Ledger } from '../../src/ledger/ledger.ts';
import { tempLedger } from '../support/temp-ledger.ts';
import { createTestOrchestrator, EVERYONE_ADMIN } from '../support/test-orchestrator.ts';

/**
 * Dependencies that end badly (src/ledger/dependents.ts): a failed or cancelled dependency must not
 * let its dependents run, must say so on them, and `/retry` of the dependency must undo all of that.
 */

const agent = { id: 'a1', skills: [] };
let messageSeq = 0;

/** Types a command in the channel as an admin, straight into the handler (no chat port needed). */
function command(ledger: Ledger, text: string): string {
  messageSeq += 1;
  const msg: IncomingMessage = {
    platform: 'memory',
    channelId: 'deps-test',
    messageId: `m${messageSeq}`,
    author: { id: 'alice', name: 'alice', isBot: false },
    text,
    sentAt: Date.now(),
  };
  return handleIncoming(ledger, 'main', EVERYONE_ADMIN, msg);
}

function task(ledger: Ledger, id: string) {
  const t = ledger.getTask(id);
  if (!t) throw new Error(`no task ${id}`);
  return t;
}

/** Claims whatever is claimable next and returns its id, or the claim's kind when nothing was. */
function claimNextId(ledger: Ledger): string {
  const c = ledger.claimNext(agent);
  return c.kind === 'claimed' ? c.task.id : c.kind;
}

function claimAndFinish(ledger: Ledger, id: string, outcome: 'done' | 'fail'): void {
  const c = ledger.claimTask(id, agent);
  if (c.kind !== 'claimed') throw new Error(`could not claim ${id}: ${c.kind}`);
  const ref = { taskId: id, attempt: c.attempt, agentId: agent.id };
  const res = outcome === 'done' ? ledger.complete(ref, `${id} ok`) : ledger.fail(ref, `${id} broke`);
  expect(res).toEqual({ ok: true });
}

describe('dependencies that fail or are cancelled', () => {
  it('a cancelled dependency keeps the dependent queued, unclaimable and saying why; /retry clears it', () => {
    const l = tempLedger({ retryBaseMs: 0 });
    l.createTask({ title: 'base' }, 'cli');
    l.createTask({ title: 'after base', dependsOn: ['T-1'] }, 'cli');

    expect(command(l, '/cancel T-1 not needed after all')).toBe('applied');
    expect(task(l, 'T-1').status).toBe('cancelled');
    const waiting = task(l, 'T-2');
    expect(waiting.status).toBe('queued');
    expect(waiting.waitingReason).toMatch(/T-1/);
    expect(waiting.waitingReason).toMatch(/cancelled/);
    // The reason is what the dependent's status message shows.
    expect(renderTaskMessage(waiting).text).toMatch(/^waiting: dependency T-1 cancelled/);
    const waitEvents = l.events({ taskId: 'T-2' }).filter((e) => e.type === 'task_waiting');
    expect(waitEvents).toHaveLength(1);
    expect(String(waitEvents[0]!.data.reason)).toMatch(/T-1 cancelled/);
    expect(claimNextId(l)).toBe('none');
    expect(l.claimTask('T-2', agent)).toEqual({ kind: 'not_eligible', reason: 'waiting for dependencies' });

    expect(command(l, '/retry T-1')).toBe('applied');
    expect(task(l, 'T-2').waitingReason).toBeNull();
    expect(renderTaskMessage(task(l, 'T-2')).text).toMatch(/^queued/);
    // Still waiting for T-1 to be done: the retried dependency is the only thing claimable.
    expect(claimNextId(l)).toBe('T-1');
    expect(claimNextId(l)).toBe('none');
    expect(l.complete({ taskId: 'T-1', attempt: 1, agentId: agent.id }, 'base built')).toEqual({ ok: true });
    expect(claimNextId(l)).toBe('T-2');
  });

  it('a chain A→B→C where A fails: B says why, C waits; after A is retried and done, B runs, then C', () => {
    const l = tempLedger({ retryBaseMs: 0 });
    l.createTask({ title: 'A', maxAttempts: 1 }, 'cli');
    l.createTask({ title: 'B', dependsOn: ['T-1'] }, 'cli');
    l.createTask({ title: 'C', dependsOn: ['T-2'] }, 'cli');

    claimAndFinish(l, 'T-1', 'fail');
    expect(task(l, 'T-1').status).toBe('failed');
    expect(task(l, 'T-2').status).toBe('queued');
    expect(task(l, 'T-2').waitingReason).toMatch(/dependency T-1 failed/);
    expect(task(l, 'T-3').status).toBe('queued');
    expect(claimNextId(l)).toBe('none');
    expect(l.claimTask('T-2', agent).kind).toBe('not_eligible');
    expect(l.claimTask('T-3', agent).kind).toBe('not_eligible');

    expect(command(l, '/retry T-1')).toBe('applied');
    expect(task(l, 'T-2').waitingReason).toBeNull();
    expect(claimNextId(l)).toBe('T-1');
    // While A runs again, neither B nor C may start.
    expect(claimNextId(l)).toBe('none');
    expect(l.complete({ taskId: 'T-1', attempt: 2, agentId: agent.id }, 'A ok')).toEqual({ ok: true });

    expect(claimNextId(l)).toBe('T-2');
    expect(claimNextId(l)).toBe('none');
    expect(l.claimTask('T-3', agent)).toEqual({ kind: 'not_eligible', reason: 'waiting for dependencies' });
    expect(l.complete({ taskId: 'T-2', attempt: 1, agentId: agent.id }, 'B ok')).toEqual({ ok: true });
    expect(claimNextId(l)).toBe('T-3');
  });

  it('a task created after an already failed or cancelled dependency shows the reason at once', () => {
    const l = tempLedger({ retryBaseMs: 0 });
    l.createTask({ title: 'doomed', maxAttempts: 1 }, 'cli');
    l.createTask({ title: 'dropped' }, 'cli');
    claimAndFinish(l, 'T-1', 'fail');
    expect(command(l, '/cancel T-2')).toBe('applied');

    const afterFailed = l.createTask({ title: 'after doomed', dependsOn: ['T-1'] }, 'cli').task;
    expect(afterFailed.status).toBe('queued');
    expect(afterFailed.waitingReason).toMatch(/T-1 failed/);
    expect(renderTaskMessage(afterFailed).text).toMatch(/^waiting: dependency T-1 failed/);

    expect(command(l, '/task after dropped after=T-2')).toBe('applied');
    expect(task(l, 'T-4').waitingReason).toMatch(/T-2 cancelled/);
    expect(claimNextId(l)).toBe('none');

    // Retrying the dependency clears a reason set at creation just like one set later.
    expect(command(l, '/retry T-1')).toBe('applied');
    expect(task(l, 'T-3').waitingReason).toBeNull();
    expect(task(l, 'T-4').waitingReason).toMatch(/T-2 cancelled/);
  });

  it('retrying one of two failed dependencies keeps the reason naming the other', () => {
    const l = tempLedger({ retryBaseMs: 0 });
    l.createTask({ title: 'left', maxAttempts: 1 }, 'cli');
    l.createTask({ title: 'right', maxAttempts: 1 }, 'cli');
    l.createTask({ title: 'both', dependsOn: ['T-1', 'T-2'] }, 'cli');
    claimAndFinish(l, 'T-1', 'fail');
    claimAndFinish(l, 'T-2', 'fail');
    expect(task(l, 'T-3').waitingReason).toMatch(/T-2 failed/);

    expect(command(l, '/retry T-1')).toBe('applied');
    // T-2 is still failed, so T-3 can never run until someone acts: it should keep saying so.
    expect(task(l, 'T-3').waitingReason).toMatch(/T-2 failed/);
  });
});

describe('dependencies in the channel', () => {
  const stops: (() => Promise<void>)[] = [];
  afterEach(async () => {
    while (stops.length) await stops.pop()!();
  });

  async function swarm(): Promise<{ ledger: Ledger; port: MemoryChannel; drain: () => Promise<number> }> {
    const ledger = tempLedger();
    const port = createMemoryChannel();
    const orch = createTestOrchestrator(ledger, port);
    await orch.start();
    stops.push(() => orch.stop());
    return { ledger, port, drain: () => orch.poster.drain(10_000) };
  }

  /** What the task's one main message currently says. */
  function mainMessage(ledger: Ledger, port: MemoryChannel, taskId: string): string {
    const id = ledger.outbox.taskMessage(taskId, 'main')?.messageId;
    const entry = port.transcript().find((m) => m.messageId === id);
    if (!entry) throw new Error(`no main message for ${taskId}`);
    return `${entry.heading ?? ''}\n${entry.text}`;
  }

  it('the dependent’s status message names the cancelled dependency', async () => {
    const { ledger, port, drain } = await swarm();
    port.postAsHuman('/task base');
    port.postAsHuman('/task after base after=T-1');
    port.postAsHuman('/cancel T-1 changed plans');
    await port.idle();
    expect(await drain()).toBe(0);
    expect(mainMessage(ledger, port, 'T-2')).toMatch(/waiting: dependency T-1 cancelled/);
    const under = port
      .transcript()
      .filter((m) => m.underMessageId === ledger.outbox.taskMessage('T-2', 'main')?.messageId);
    expect(under.map((m) => m.text).join('\n')).toMatch(/waiting: dependency T-1 cancelled/);
    expect(ledger.audit().problems).toEqual([]);
  });

  it('after /retry of the dependency the dependent’s status message drops the old reason', async () => {
    const { ledger, port, drain } = await swarm();
    port.postAsHuman('/task base');
    port.postAsHuman('/task after base after=T-1');
    port.postAsHuman('/cancel T-1');
    await port.idle();
    expect(await drain()).toBe(0);
    expect(mainMessage(ledger, port, 'T-2')).toMatch(/waiting: dependency T-1 cancelled/);

    port.postAsHuman('/retry T-1');
    await port.idle();
    expect(await drain()).toBe(0);
    expect(ledger.getTask('T-2')!.waitingReason).toBeNull();
    // The ledger cleared the reason, but nothing queued a status refresh for T-2.
    expect(mainMessage(ledger, port, 'T-2')).not.toMatch(/waiting: dependency/);
  });
});

describe('claims and dependencies', () => {
  it('a claimed task lists its dependencies, whichever way it was claimed; one without lists none', () => {
    const l = tempLedger();
    const a = l.createTask({ title: 'A' }, 'cli').task.id;
    const b = l.createTask({ title: 'B', dependsOn: [a] }, 'cli').task.id;
    const c = l.createTask({ title: 'C', dependsOn: [a, b] }, 'cli').task.id;
    const first = l.claimNext(agent);
    if (first.kind !== 'claimed') throw new Error(first.kind);
    expect(first.task).toMatchObject({ id: a, dependsOn: [] });
    const second = l.completeAndClaim({ taskId: a, attempt: 1, agentId: agent.id }, 'ok', agent).next;
    if (second?.kind !== 'claimed') throw new Error(String(second?.kind));
    expect(second.task).toMatchObject({ id: b, dependsOn: [a] });
    expect(l.complete({ taskId: b, attempt: 1, agentId: agent.id }, 'ok')).toEqual({ ok: true });
    const third = l.claimNext(agent);
    if (third.kind !== 'claimed') throw new Error(third.kind);
    expect(third.task).toMatchObject({ id: c, dependsOn: [a, b] });
  });
});
