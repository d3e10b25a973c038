import { afterEach, describe, expect, it } from 'vitest';
import { AgentRuntime } from '../../src/agents/agent-runtime.ts';
import { createFunctionWorker, type WorkerFunction } from '../../src/agents/function-worker.ts';
import { createMemoryChannel, type MemoryChannel } from '../../src/chat/memory-channel.ts';
import { silentLogger } from '../../src/core/logger.ts';
import type { Ledger } from '../../src/ledger/ledger.ts';
import { Orchestrator } from '../../src/orchestrator/orchestrator.ts';
import { expectAuditPasses } from '../support/expect-audit.ts';
import { tempDir, tempLedger } from '../support/temp-ledger.ts';
import { waitFor } from '../support/wait-for.ts';

const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (stops.length) await stops.pop()!();
});

const ALICE = { authorId: 'alice', name: 'Alice' };
const MALLORY = { authorId: 'mallory', name: 'Mallory' };

async function swarm(): Promise<{ ledger: Ledger; port: MemoryChannel; orch: Orchestrator }> {
  const ledger = tempLedger();
  const port = createMemoryChannel();
  const orch = new Orchestrator({
    ledger,
    port,
    channel: 'main',
    admins: { userIds: ['alice'], roleIds: [], everyone: false },
    log: silentLogger,
  });
  await orch.start();
  stops.push(() => orch.stop());
  return { ledger, port, orch };
}

function agent(ledger: Ledger, skills: string[], fn: WorkerFunction): void {
  const runtime = new AgentRuntime(ledger, {
    id: 'worker-1',
    skills,
    capacity: 1,
    worker: createFunctionWorker(fn),
    workRoot: tempDir(),
    log: silentLogger,
  });
  runtime.start();
  stops.push(() => runtime.stop());
}

/** The buttons on a task's main message while its heading shows `mark`, else undefined. */
function shownButtons(port: MemoryChannel, ledger: Ledger, taskId: string, mark: string) {
  const main = ledger.outbox.taskMessage(taskId, 'main');
  const entry = main && port.transcript().find((e) => e.messageId === main.messageId);
  return entry?.heading?.startsWith(mark) ? (entry.actions ?? []) : undefined;
}

/** Waits for the task's main message to show `mark`; its buttons then. */
function buttonsOf(port: MemoryChannel, ledger: Ledger, taskId: string, mark: string) {
  return waitFor(`${taskId} buttons in ${mark}`, () => shownButtons(port, ledger, taskId, mark));
}

const data = (actions: Array<{ label: string; data: string }>, label: string): string =>
  actions.find((a) => a.label.includes(label))!.data;

const eventsOf = (ledger: Ledger, type: string) => ledger.events({}).filter((e) => e.type === type);

describe('task buttons and native commands on the memory channel', () => {
  it('approves with a button once, refuses the second press and a stranger’s, and records who pressed', async () => {
    const { ledger, port, orch } = await swarm();
    agent(ledger, ['code'], () => 'parser v1');
    ledger.createTask({ title: 'Build the parser', skills: ['code'], review: true }, 'cli');
    const actions = await buttonsOf(port, ledger, 'T-1', '📝');
    expect(actions.map((a) => a.label)).toEqual(['✅ Approve', '↩️ Reject']);
    const approve = data(actions, 'Approve');

    const stranger = await port.interact({ kind: 'button', data: approve }, MALLORY);
    expect(stranger).toMatchObject({ ok: false, text: expect.stringMatching(/needs an admin/) });
    expect(ledger.getTask('T-1')!.status).toBe('review');

    const first = await port.interact({ kind: 'button', data: approve }, { ...ALICE, id: 'click-1' });
    expect(first).toMatchObject({ ok: true, text: '✅ T-1 approved.' });
    const again = await port.interact({ kind: 'button', data: approve }, ALICE);
    expect(again).toMatchObject({
      ok: false,
      text: expect.stringMatching(/Nothing changed: this task has moved on \(T-1 is done now\)/),
    });
    const redelivered = await port.interact({ kind: 'button', data: approve }, { ...ALICE, id: 'click-1' });
    expect(redelivered.text).toMatch(/already handled/);

    expect(ledger.getTask('T-1')!.status).toBe('done');
    const approved = eventsOf(ledger, 'task_approved');
    expect(approved).toHaveLength(1);
    expect(approved[0]!.actor).toBe('Alice [memory:alice]');
    // The buttons go once the task is done.
    await waitFor('buttons removed', () => shownButtons(port, ledger, 'T-1', '✅')?.length === 0);
    await orch.poster.drain(10_000);
    await expectAuditPasses(ledger);
  });

  it('rejects through the form with feedback the next attempt sees, and refuses the stale Approve', async () => {
    const { ledger, port, orch } = await swarm();
    const notesSeen: string[][] = [];
    agent(ledger, ['code'], (ctx) => {
      notesSeen.push([...ctx.task.notes]);
      return `parser v${notesSeen.length}`;
    });
    ledger.createTask({ title: 'Build the parser', skills: ['code'], review: true }, 'cli');
    const first = await buttonsOf(port, ledger, 'T-1', '📝');
    const reply = await port.interact(
      { kind: 'form', data: data(first, 'Reject'), text: 'handle empty input' },
      ALICE,
    );
    expect(reply).toMatchObject({ ok: true, text: '✅ T-1 sent back with your feedback.' });
    await waitFor(
      'second attempt in review',
      () => notesSeen.length === 2 && ledger.getTask('T-1')?.status === 'review',
    );
    expect(notesSeen[1]).toContain('review feedback: handle empty input');

    // The first review's Approve names a state that has moved on, though the task is in review again.
    const stale = await port.interact({ kind: 'button', data: data(first, 'Approve') }, ALICE);
    expect(stale).toMatchObject({ ok: false, text: expect.stringMatching(/moved on/) });
    expect(ledger.getTask('T-1')!.status).toBe('review');
    expect(eventsOf(ledger, 'task_approved')).toHaveLength(0);
    // An empty form is a mistake, not a rejection.
    const second = await waitFor('the second review’s buttons', () => {
      const now = shownButtons(port, ledger, 'T-1', '📝');
      return now && data(now, 'Reject') !== data(first, 'Reject') ? now : undefined;
    });
    const empty = await port.interact({ kind: 'form', data: data(second, 'Reject'), text: '   ' }, ALICE);
    expect(empty).toMatchObject({ ok: false, text: expect.stringMatching(/feedback/) });
    expect(eventsOf(ledger, 'task_rejected')).toHaveLength(1);
    await orch.poster.drain(10_000);
    await expectAuditPasses(ledger);
  });

  it('asks for the text with a prompt when the platform has no forms, and applies the reply to it', async () => {
    const { ledger, port, orch } = await swarm();
    let answer = '';
    agent(ledger, ['design'], async (ctx) => {
      answer = await ctx.ask('which colour?');
      return `logo in ${answer}`;
    });
    ledger.createTask({ title: 'Design a logo', skills: ['design'] }, 'cli');
    const actions = await buttonsOf(port, ledger, 'T-1', '❓');
    expect(actions.map((a) => a.label)).toEqual(['💬 Answer', '🛑 Cancel']);
    const toast = await port.interact({ kind: 'button', data: data(actions, 'Answer') }, ALICE);
    expect(toast).toMatchObject({ ok: true, text: expect.stringMatching(/Reply to the prompt under T-1/) });
    const prompt = await waitFor('prompt', () => port.transcript().find((e) => e.promptsReply !== undefined));
    expect(prompt.text).toMatch(/reply to this message with your answer for T-1 \(❓ which colour\?\)/);

    // A stranger's reply to the prompt is refused and changes nothing.
    const refused = port.postAsHuman('red', { ...MALLORY, replyTo: prompt.messageId });
    await waitFor('refusal', () => port.transcript().find((e) => e.replyToMessageId === refused));
    expect(ledger.getTask('T-1')!.status).toBe('blocked');

    port.postAsHuman('teal', { ...ALICE, replyTo: prompt.messageId });
    await waitFor('done', () => ledger.getTask('T-1')?.status === 'done');
    expect(answer).toBe('teal');
    expect(eventsOf(ledger, 'task_answered').map((e) => e.actor)).toEqual(['Alice [memory:alice]']);
    await orch.poster.drain(10_000);
    await expectAuditPasses(ledger);
  });

  it('cancels a running task with its button and the worker stops', async () => {
    const { ledger, port } = await swarm();
    let stopped = false;
    agent(ledger, ['code'], async (ctx) => {
      await new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve()));
      stopped = true;
      return 'never';
    });
    ledger.createTask({ title: 'Long job', skills: ['code'] }, 'cli');
    const actions = await buttonsOf(port, ledger, 'T-1', '🔧');
    expect(await port.interact({ kind: 'button', data: data(actions, 'Cancel') }, ALICE)).toMatchObject({
      ok: true,
    });
    await waitFor('worker stopped', () => stopped);
    expect(ledger.getTask('T-1')!.status).toBe('cancelled');
    const retry = await buttonsOf(port, ledger, 'T-1', '🛑');
    expect(retry.map((a) => a.label)).toEqual(['🔁 Retry']);
  });

  it('keeps long titles within the message limit with their buttons, and a task whose key is too long works without them', async () => {
    const { ledger, port, orch } = await swarm();
    ledger.createTask({ title: 'T'.repeat(200), body: 'b'.repeat(5_000) }, 'cli');
    const long = await buttonsOf(port, ledger, 'T-1', '⏳');
    expect(long.map((a) => a.label)).toEqual(['🛑 Cancel']);
    const main = port.transcript().find((e) => e.heading?.includes('T-1'))!;
    expect((main.heading ?? '').length + 1 + main.text.length).toBeLessThanOrEqual(port.limits.maxTextLength);

    const key = `ORA-${'9'.repeat(56)}`;
    ledger.createTask({ title: 'Long key', key }, 'cli');
    await waitFor('long-key task shown', () => shownButtons(port, ledger, key, '⏳'));
    expect(shownButtons(port, ledger, key, '⏳')).toEqual([]);
    port.postAsHuman(`/cancel ${key}`, ALICE);
    await waitFor('cancelled by typing', () => ledger.getTask(key)?.status === 'cancelled');
    await orch.poster.drain(10_000);
    await expectAuditPasses(ledger);
  });

  it('refuses forged button data and changes nothing', async () => {
    const { ledger, port } = await swarm();
    ledger.createTask({ title: 'Keep me' }, 'cli');
    for (const forged of ['ts1:c:T-1:0', 'ts1:c:T-1', 'x'.repeat(200), 'ts1:c:T-99:1', '']) {
      const reply = await port.interact({ kind: 'button', data: forged }, ALICE);
      expect(reply.ok, forged).toBe(false);
    }
    expect(ledger.getTask('T-1')!.status).toBe('queued');
    expect(eventsOf(ledger, 'task_cancelled')).toHaveLength(0);
  });

  it('creates a task from a native command, validates it like the typed one, and suggests open tasks', async () => {
    const { ledger, port, orch } = await swarm();
    const created = await port.interact(
      {
        kind: 'command',
        name: 'task',
        options: { title: 'Fix login', skills: 'web', priority: 8, review: true },
      },
      ALICE,
    );
    expect(created).toMatchObject({ ok: true, text: '✅ T-1 created.' });
    expect(ledger.getTask('T-1')).toMatchObject({
      title: 'Fix login',
      skills: ['web'],
      priority: 8,
      review: true,
    });
    expect(eventsOf(ledger, 'task_created')[0]!.actor).toBe('Alice [memory:alice]');

    const bad = await port.interact(
      { kind: 'command', name: 'task', options: { title: 'x', priority: 11 } },
      ALICE,
    );
    expect(bad).toMatchObject({
      ok: false,
      text: expect.stringMatching(/priority must be a whole number[\s\S]*\/task <title>/),
    });
    const refused = await port.interact(
      { kind: 'command', name: 'cancel', options: { task: 'T-1' } },
      MALLORY,
    );
    expect(refused).toMatchObject({ ok: false, text: expect.stringMatching(/needs an admin/) });
    const status = await port.interact({ kind: 'command', name: 'status', options: {} }, MALLORY);
    expect(status).toMatchObject({ ok: true, text: expect.stringContaining('T-1 · Fix login') });

    ledger.createTask({ title: 'Write docs' }, 'cli');
    ledger.createTask({ title: 'Gone' }, 'cli');
    ledger.cancel('T-3', 'cli');
    const suggested = await port.interact(
      { kind: 'autocomplete', name: 'cancel', option: 'task', value: '' },
      MALLORY,
    );
    expect(suggested.choices).toEqual([
      { name: 'T-2 · Write docs', value: 'T-2' },
      { name: 'T-1 · Fix login', value: 'T-1' },
    ]);
    const typed = await port.interact(
      { kind: 'autocomplete', name: 'cancel', option: 'task', value: 'doc' },
      ALICE,
    );
    expect(typed.choices).toEqual([{ name: 'T-2 · Write docs', value: 'T-2' }]);
    await orch.poster.drain(10_000);
    await expectAuditPasses(ledger);
  });
});
