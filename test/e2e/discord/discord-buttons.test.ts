/**
 * Steering the swarm from Discord's own controls on the fake server: buttons on each task's main
 * message, modals for Reject and Answer, slash commands with options and autocomplete, every
 * interaction acknowledged within 3 seconds with refusals only the person sees.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { NATIVE_COMMANDS } from '../../../src/commands/native-commands.ts';
import { silentLogger } from '../../../src/core/logger.ts';
import type { Ledger } from '../../../src/ledger/ledger.ts';
import type { FakeDiscord } from '../../fakes/discord/fake-discord-server.ts';
import type { FakeInteraction } from '../../fakes/discord/fake-interactions.ts';
import { expectAuditPasses } from '../../support/expect-audit.ts';
import { tempLedger } from '../../support/temp-ledger.ts';
import { waitFor } from '../../support/wait-for.ts';
import { startSwarmFake, startSwarmOnDiscord, unescaped, type SwarmOnDiscord } from './discord-swarm-kit.ts';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function start(
  ledger = tempLedger(),
): Promise<{ fake: FakeDiscord; ledger: Ledger; swarm: SwarmOnDiscord }> {
  const fake = await startSwarmFake();
  cleanups.push(() => fake.close());
  const swarm = await startSwarmOnDiscord(fake, ledger, silentLogger, {
    channel: { nativeCommands: NATIVE_COMMANDS },
    poster: { digestThreshold: 1_000 },
  });
  cleanups.push(() => swarm.stop());
  return { fake, ledger, swarm };
}

/** The task's main message id once its buttons read `labels`. */
function buttonsShown(fake: FakeDiscord, ledger: Ledger, taskId: string, labels: string[]): Promise<string> {
  return waitFor(`${taskId} buttons ${labels.join(', ')}`, () => {
    const main = ledger.outbox.taskMessage(taskId, 'main');
    const message = main && fake.state.findMessage(fake.channelId, main.messageId);
    if (!message) return undefined;
    const shown = (message.components ?? []).flat().map((b) => b.label);
    return JSON.stringify(shown) === JSON.stringify(labels) ? message.id : undefined;
  });
}

/** Waits until the person's "thinking…" line was replaced by the swarm's answer. */
function answered(fake: FakeDiscord, i: FakeInteraction): Promise<FakeInteraction> {
  return waitFor('the answer', () => {
    const now = fake.interaction(i.id);
    return now?.original && !now.original.thinking ? now : undefined;
  });
}

/** Acknowledged in time (the person never saw "This interaction failed"), privately. */
function expectPrivateAnswer(i: FakeInteraction, text: RegExp): void {
  expect(i.failed).toBe(false);
  expect(i.original!.ephemeral).toBe(true);
  expect(unescaped(i.original!.content)).toMatch(text);
}

const events = (ledger: Ledger, type: string) => ledger.events({}).filter((e) => e.type === type);

describe('buttons, modals and slash commands on discord', () => {
  it('approves with a button; a stranger, a double press and a stale press change nothing', async () => {
    const { fake, ledger, swarm } = await start();
    swarm.agent('coder-003', ['code'], () => 'parser v1');
    fake.post('alice', '/task Build the parser skills=code review=yes');
    const main = await buttonsShown(fake, ledger, 'T-1', ['✅ Approve', '↩️ Reject']);

    const bob = await answered(fake, fake.pressButton('bob', main, { label: 'Approve' }));
    expectPrivateAnswer(bob, /needs an admin/);
    expect(ledger.getTask('T-1')!.status).toBe('review');
    const forged = await answered(fake, fake.pressButton('alice', main, { customId: 'ts1:a:T-1:zz' }));
    expectPrivateAnswer(forged, /this task has moved on/);

    const first = fake.pressButton('alice', main, { label: 'Approve' });
    const second = fake.pressButton('alice', main, { label: 'Approve' });
    const [a, b] = [await answered(fake, first), await answered(fake, second)];
    expectPrivateAnswer(a, /✅ T-1 approved/);
    expectPrivateAnswer(b, /this task has moved on \(T-1 is done now\)/);
    expect(events(ledger, 'task_approved').map((e) => e.actor)).toEqual([
      `alice [discord:${fake.user('alice').id}]`,
    ]);
    await buttonsShown(fake, ledger, 'T-1', []);
    // The channel shows the approval as it does for a typed /approve.
    await waitFor('approval line', () =>
      fake.transcript(main).some((m) => unescaped(m.content).includes('approved by alice')),
    );
    expect(fake.unknownRoutes).toEqual([]);
    expect(await swarm.orchestrator.poster.drain(15_000)).toBe(0);
    await expectAuditPasses(ledger);
  });

  it('rejects through the modal; the next attempt sees the feedback', async () => {
    const { fake, ledger, swarm } = await start();
    const notesSeen: string[][] = [];
    swarm.agent('coder-003', ['code'], (ctx) => {
      notesSeen.push([...ctx.task.notes]);
      return `parser v${notesSeen.length}`;
    });
    fake.post('alice', '/task Build the parser skills=code review=yes');
    const main = await buttonsShown(fake, ledger, 'T-1', ['✅ Approve', '↩️ Reject']);
    const press = fake.pressButton('alice', main, { label: 'Reject' });
    const opened = await waitFor('the modal', () => fake.interaction(press.id)?.modal);
    expect(opened.title).toBe('Reject T-1');
    expect(opened.inputs[0]!.label).toBe('Feedback for the next attempt');
    expect(fake.interaction(press.id)!.failed).toBe(false);

    const submit = await answered(fake, fake.submitModal('alice', press.id, 'handle empty input'));
    expectPrivateAnswer(submit, /T-1 sent back with your feedback/);
    await waitFor(
      'second review',
      () => notesSeen.length === 2 && ledger.getTask('T-1')?.status === 'review',
    );
    expect(notesSeen[1]).toContain('review feedback: handle empty input');
    // Bob can open the form, but his submit is refused.
    const bobPress = fake.pressButton('bob', main, { label: 'Reject' });
    await waitFor('bob’s modal', () => fake.interaction(bobPress.id)?.modal);
    const bob = await answered(fake, fake.submitModal('bob', bobPress.id, 'meh'));
    expectPrivateAnswer(bob, /needs an admin/);
    expect(events(ledger, 'task_rejected')).toHaveLength(1);
    expect(await swarm.orchestrator.poster.drain(15_000)).toBe(0);
    await expectAuditPasses(ledger);
  });

  it('answers a question through the Answer modal and cancels a running task with its button', async () => {
    const { fake, ledger, swarm } = await start();
    let stopped = false;
    swarm.agent('designer-001', ['design'], async (ctx) => `logo in ${await ctx.ask('which colour?')}`);
    swarm.agent('writer-002', ['write'], async (ctx) => {
      await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve, { once: true }));
      stopped = true;
      return 'never finished';
    });
    fake.post('alice', '/task Design a logo skills=design');
    fake.post('alice', '/task Write the docs skills=write');

    const t1 = await buttonsShown(fake, ledger, 'T-1', ['💬 Answer', '🛑 Cancel']);
    const press = fake.pressButton('alice', t1, { label: 'Answer' });
    await waitFor('the modal', () => fake.interaction(press.id)?.modal);
    expectPrivateAnswer(await answered(fake, fake.submitModal('alice', press.id, 'teal')), /T-1 answered/);
    await waitFor('T-1 done', () => ledger.getTask('T-1')?.status === 'done');
    expect(ledger.getTask('T-1')!.result).toBe('logo in teal');

    await waitFor('T-2 running', () => ledger.getTask('T-2')?.status === 'claimed');
    const t2 = await waitFor('T-2 claimed on screen', () => {
      const main = ledger.outbox.taskMessage('T-2', 'main');
      const m = main && fake.state.findMessage(fake.channelId, main.messageId);
      return m && unescaped(m.content).includes('🔧') ? m.id : undefined;
    });
    expectPrivateAnswer(
      await answered(fake, fake.pressButton('alice', t2, { label: 'Cancel' })),
      /T-2 cancelled/,
    );
    await waitFor('worker stopped', () => stopped);
    await buttonsShown(fake, ledger, 'T-2', ['🔁 Retry']);
    expect(await swarm.orchestrator.poster.drain(15_000)).toBe(0);
    await expectAuditPasses(ledger);
  });

  it('creates a task with /task options, suggests open tasks, and a restart registers nothing again', async () => {
    const ledger = tempLedger();
    const { fake, swarm } = await start(ledger);
    await waitFor('commands registered', () => fake.commandOverwrites === 1);
    expect(fake.registeredCommands().sort()).toEqual(NATIVE_COMMANDS.map((c) => c.name).sort());

    const created = await answered(
      fake,
      fake.useCommand('alice', 'task', {
        title: 'Fix the login page',
        skills: 'web',
        priority: 7,
        review: true,
      }),
    );
    expectPrivateAnswer(created, /✅ T-1 created/);
    expect(ledger.getTask('T-1')).toMatchObject({
      title: 'Fix the login page',
      skills: ['web'],
      priority: 7,
      review: true,
    });
    await waitFor('T-1 in the channel', () =>
      fake.transcript().some((m) => unescaped(m.content).includes('T-1 · Fix the login page')),
    );
    const invalid = await answered(fake, fake.useCommand('alice', 'task', { title: 'x', timeout: 'soon' }));
    expectPrivateAnswer(invalid, /timeout must be a duration/);
    const refused = await answered(fake, fake.useCommand('bob', 'cancel', { task: 'T-1' }));
    expectPrivateAnswer(refused, /needs an admin/);

    fake.post('alice', '/task Write the docs');
    await waitFor('T-2', () => ledger.getTask('T-2'));
    const suggest = fake.useCommand('bob', 'cancel', { task: '' }, { focused: 'task' });
    const choices = await waitFor('suggestions', () => fake.interaction(suggest.id)?.choices);
    expect(choices).toEqual([
      { name: 'T-2 · Write the docs', value: 'T-2' },
      { name: 'T-1 · Fix the login page', value: 'T-1' },
    ]);
    expect(fake.interaction(suggest.id)!.failed).toBe(false);

    // A restart with the same commands spends no registration.
    await swarm.stop();
    cleanups.pop();
    const again = await startSwarmOnDiscord(fake, ledger, silentLogger, {
      channel: { nativeCommands: NATIVE_COMMANDS },
    });
    cleanups.push(() => again.stop());
    const afterRestart = await answered(fake, fake.useCommand('alice', 'status', { task: 'T-1' }));
    expectPrivateAnswer(afterRestart, /T-1 · Fix the login page/);
    expect(fake.commandOverwrites).toBe(1);
    expect(fake.unknownRoutes).toEqual([]);
    expect(await again.orchestrator.poster.drain(15_000)).toBe(0);
    await expectAuditPasses(ledger);
  });

  it('acknowledges in time while the orchestrator is slow, and answers when it gets there', async () => {
    const { fake, ledger, swarm } = await start();
    ledger.createTask({ title: 'Keep or cancel' }, 'cli');
    const main = await buttonsShown(fake, ledger, 'T-1', ['🛑 Cancel']);
    const orchestrator = swarm.orchestrator;
    const onMessage = orchestrator.onMessage.bind(orchestrator);
    let reachedAt = 0;
    // The orchestrator takes four seconds to get to each message (a long ledger write, a busy disk).
    orchestrator.onMessage = async (msg, tries) => {
      await new Promise((resolve) => setTimeout(resolve, 4_000));
      reachedAt = Date.now();
      return onMessage(msg, tries);
    };
    const press = fake.pressButton('alice', main, { label: 'Cancel' });
    const deferred = await waitFor('the acknowledgement', () => fake.interaction(press.id)?.response);
    expect(deferred.type).toBe(5);
    expect(reachedAt).toBe(0);
    expect(fake.interaction(press.id)!.original).toMatchObject({ thinking: true, ephemeral: true });
    const done = await answered(fake, press);
    expectPrivateAnswer(done, /T-1 cancelled/);
    expect(done.original!.thinking).toBe(false);
    expect(ledger.getTask('T-1')!.status).toBe('cancelled');
    expect(await swarm.orchestrator.poster.drain(15_000)).toBe(0);
    await expectAuditPasses(ledger);
  });
});
