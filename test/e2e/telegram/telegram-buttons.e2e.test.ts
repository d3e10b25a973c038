/**
 * Steering the swarm from the buttons on its task messages on the fake Telegram: inline keyboards
 * that follow each task's state, presses answered with a toast, Reject and Answer through a
 * ForceReply prompt, refusals for strangers, double and stale presses applied once or not at all.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { FakeCallbackQuery } from '../../fakes/telegram/fake-callbacks.ts';
import { waitFor } from '../../support/wait-for.ts';
import { createTelegramSwarmFixture, type TelegramSwarmFixture } from './telegram-swarm-fixture.ts';

const TIME_SCALE = 20;

let fx: TelegramSwarmFixture | undefined;
afterEach(async () => {
  await fx?.close();
  fx = undefined;
});

let drain: () => Promise<number> = async () => 0;

async function start(): Promise<TelegramSwarmFixture> {
  fx = await createTelegramSwarmFixture({ timeScale: TIME_SCALE });
  const { orchestrator } = await fx.startOrchestrator({ poster: { digestThreshold: 1_000 } });
  drain = () => orchestrator.poster.drain(15_000);
  return fx;
}

/** Everything mirrored, then `chat-swarm audit` on the ledger file. */
async function audit(f: TelegramSwarmFixture): Promise<number> {
  expect(await drain()).toBe(0);
  return f.cliAudit();
}

/** The task's main message id once its buttons read `labels`. */
async function buttonsShown(f: TelegramSwarmFixture, taskId: string, labels: string[]): Promise<number> {
  return waitFor(`${taskId} buttons ${labels.join(', ')}`, () => {
    const main = f.ledger.outbox.taskMessage(taskId, 'main');
    if (!main) return undefined;
    const id = Number(main.messageId);
    const shown = f.fake
      .buttonsOf(f.chat.id, id)
      .flat()
      .map((b) => b.text);
    return JSON.stringify(shown) === JSON.stringify(labels) ? id : undefined;
  });
}

/** Presses a button as `userId` and waits for the swarm's answer (the toast). */
async function press(
  f: TelegramSwarmFixture,
  messageId: number,
  userId: number,
  button: { text?: string; data?: string },
): Promise<FakeCallbackQuery['answer'] & {}> {
  const query = f.fake.pressButton(f.chat.id, messageId, userId, button);
  const answered = await waitFor('the toast', () => f.fake.callbackQuery(query.id)?.answer);
  return answered;
}

const dataOf = (f: TelegramSwarmFixture, messageId: number, text: string): string =>
  f.fake
    .buttonsOf(f.chat.id, messageId)
    .flat()
    .find((b) => b.text.includes(text))!.callbackData;

const events = (f: TelegramSwarmFixture, type: string) => f.ledger.events({}).filter((e) => e.type === type);

describe('task buttons on telegram', () => {
  it('approves a review with a button; a stranger, a double press and a forged press change nothing', async () => {
    const f = await start();
    f.startAgent('coder-001', ['code'], () => 'parser v1');
    f.say('/task Build the parser skills=code review=yes');
    const main = await buttonsShown(f, 'T-1', ['✅ Approve', '↩️ Reject']);
    for (const row of f.fake.buttonsOf(f.chat.id, main))
      for (const b of row) expect(Buffer.byteLength(b.callbackData)).toBeLessThanOrEqual(64);

    const stranger = await press(f, main, f.bob.id, { text: 'Approve' });
    expect(stranger.text).toMatch(/needs an admin/);
    const forged = await press(f, main, f.alice.id, { data: 'ts1:a:T-1:zzzz' });
    expect(forged.text).toMatch(/moved on/);
    const junk = await press(f, main, f.alice.id, { data: '{"approve":"T-1"}' });
    expect(junk.text).toMatch(/not one of the swarm/);
    expect(f.ledger.getTask('T-1')!.status).toBe('review');

    // A double press: two callback queries with the same data.
    const first = f.fake.pressButton(f.chat.id, main, f.alice.id, { text: 'Approve' });
    const second = f.fake.pressButton(f.chat.id, main, f.alice.id, { text: 'Approve' });
    const toasts = await waitFor('both toasts', () => {
      const a = f.fake.callbackQuery(first.id)?.answer;
      const b = f.fake.callbackQuery(second.id)?.answer;
      return a && b ? [a.text, b.text] : undefined;
    });
    expect(toasts).toEqual([
      '✅ T-1 approved.',
      expect.stringMatching(/this task has moved on \(T-1 is done now\)/),
    ]);
    expect(events(f, 'task_approved').map((e) => e.actor)).toEqual([`Alice [telegram:${f.alice.id}]`]);
    await buttonsShown(f, 'T-1', []);
    expect(f.fake.unansweredCallbacks()).toEqual([]);
    expect(await audit(f)).toBe(0);
  });

  it('rejects through the reply prompt; the next attempt sees the feedback and the old Approve is stale', async () => {
    const f = await start();
    const notesSeen: string[][] = [];
    f.startAgent('coder-001', ['code'], (ctx) => {
      notesSeen.push([...ctx.task.notes]);
      return `parser v${notesSeen.length}`;
    });
    f.say('/task Build the parser skills=code review=yes');
    const main = await buttonsShown(f, 'T-1', ['✅ Approve', '↩️ Reject']);
    const oldApprove = dataOf(f, main, 'Approve');
    const toast = await press(f, main, f.alice.id, { text: 'Reject' });
    expect(toast.text).toMatch(/Reply to the prompt under T-1 with your feedback/);
    const prompt = await waitFor('the prompt', () =>
      f
        .lines()
        .find((l) =>
          l.text.includes('reply to this message with your feedback for the next attempt for T-1'),
        ),
    );
    expect(f.fake.forceReplyOf(f.chat.id, prompt.messageId)).toEqual({
      placeholder: 'Feedback for the next attempt (T-1)',
    });
    expect(prompt.replyTo).toBe(main);

    // Bob's reply to the prompt is refused; Alice's is the feedback.
    f.bobSays('ship it', prompt.messageId);
    await waitFor('refusal', () => f.lines().some((l) => l.text.includes('needs an admin')));
    expect(f.ledger.getTask('T-1')!.status).toBe('review');
    f.say('handle empty input', prompt.messageId);
    await waitFor(
      'second review',
      () => notesSeen.length === 2 && f.ledger.getTask('T-1')?.status === 'review',
    );
    expect(notesSeen[1]).toContain('review feedback: handle empty input');
    expect(events(f, 'task_rejected').map((e) => e.actor)).toEqual([`Alice [telegram:${f.alice.id}]`]);

    const stale = await press(f, main, f.alice.id, { data: oldApprove });
    expect(stale.text).toMatch(/this task has moved on/);
    expect(f.ledger.getTask('T-1')!.status).toBe('review');
    expect(events(f, 'task_approved')).toHaveLength(0);
    expect(await audit(f)).toBe(0);
  });

  it('answers a question through the Answer button and cancels a running task with Cancel', async () => {
    const f = await start();
    let stopped = false;
    f.startAgent('writer-001', ['write'], async (ctx) => `intro in a ${await ctx.ask('Which tone?')} tone`);
    f.startAgent('coder-001', ['code'], async (ctx) => {
      await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve, { once: true }));
      stopped = true;
      return 'never shown';
    });
    f.say('/task Write the intro skills=write');
    f.say('/task Long migration skills=code');

    const t1 = await buttonsShown(f, 'T-1', ['💬 Answer', '🛑 Cancel']);
    await press(f, t1, f.alice.id, { text: 'Answer' });
    const prompt = await waitFor('the prompt', () =>
      f
        .lines()
        .find((l) => l.text.includes('reply to this message with your answer for T-1 (❓ Which tone?)')),
    );
    f.say('friendly', prompt.messageId);
    await waitFor('T-1 done', () => f.ledger.getTask('T-1')?.status === 'done');
    expect(f.ledger.getTask('T-1')!.result).toBe('intro in a friendly tone');

    const t2 = await buttonsShown(f, 'T-2', ['🛑 Cancel']);
    await waitFor('T-2 running', () => f.ledger.getTask('T-2')?.status === 'claimed');
    const t2Now = await waitFor('T-2 buttons for the claim', () => {
      const head = f.lines().find((l) => l.messageId === t2);
      return head?.text.startsWith('🔧') ? t2 : undefined;
    });
    const cancelled = await press(f, t2Now, f.alice.id, { text: 'Cancel' });
    expect(cancelled.text).toBe('✅ T-2 cancelled.');
    await waitFor('worker stopped', () => stopped);
    await buttonsShown(f, 'T-2', ['🔁 Retry']);
    expect(f.fake.unansweredCallbacks()).toEqual([]);
    expect(await audit(f)).toBe(0);
  });
});
