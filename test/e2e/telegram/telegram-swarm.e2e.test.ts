/**
 * The whole swarm on the fake Telegram: a person drives four tasks by message (one question answered
 * by a reply, one cancel, one review rejected and redone), agents speak through their own bots, and
 * the ledger, the chat and the audit all agree at the end.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { SwarmEvent } from '../../../src/core/types.ts';
import { waitFor } from '../../support/wait-for.ts';
import {
  AGENT_BOTS,
  createTelegramSwarmFixture,
  type TelegramSwarmFixture,
} from './telegram-swarm-fixture.ts';

// Telegram's windows divided by 20 (20 a group per 3 s, 1 a chat per 50 ms) on fake, adapter and poster.
const TIME_SCALE = 20;

let fx: TelegramSwarmFixture | undefined;
afterEach(async () => {
  await fx?.close();
  fx = undefined;
});

const tokenOf = (text: string): string => /\b(T-\d+)\b/.exec(text)?.[1] ?? '';

describe('telegram swarm end to end', () => {
  it('runs tasks people create, answer, cancel, reject and approve by message; chat, ledger and audit agree', async () => {
    fx = await createTelegramSwarmFixture({ timeScale: TIME_SCALE });
    const f = fx;
    // Digests are the flood test's business; here every event gets its own message.
    const { orchestrator } = await f.startOrchestrator({ poster: { digestThreshold: 1_000 } });
    const seenNotes: string[][] = [];
    f.startAgent('writer-001', ['write'], async (ctx) => `intro in a ${await ctx.ask('Which tone?')} tone`);
    f.startAgent(
      'coder-001',
      ['code'],
      async (ctx) => {
        if (ctx.task.title !== 'Long migration') return `built ${ctx.task.title}`;
        // Runs until the person cancels it.
        await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve, { once: true }));
        return 'never shown';
      },
      2,
    );
    f.startAgent('reviewer-001', ['review'], (ctx) => {
      seenNotes.push([...ctx.task.notes]);
      return ctx.attempt === 1 || ctx.task.notes.length === 0
        ? 'API review v1'
        : `API review v2 (${ctx.task.notes.join('; ')})`;
    });

    f.say('/task Write the intro skills=write');
    await waitFor('T-1 created', () => f.ledger.getTask('T-1'));
    f.say('/task Long migration skills=code');
    await waitFor('T-2 created', () => f.ledger.getTask('T-2'));
    f.say('/task Review the API skills=review review=yes');
    await waitFor('T-3 created', () => f.ledger.getTask('T-3'));
    f.say('/task@swarm_bot Build the parser skills=code');

    // T-1: the writer's question is answered by replying to its message in the group.
    const question = await waitFor('question posted', () =>
      f.lines().find((l) => l.text.includes('❓ Which tone?')),
    );
    expect(question.fromUsername).toBe('writer_bot');
    // Replies at once, possibly before the poster has recorded the question's id: the orchestrator
    // looks at such a reply again for a few seconds instead of dropping it.
    f.say('friendly', question.messageId);

    // T-2: cancelled while its worker runs.
    await waitFor('T-2 running', () => f.ledger.getTask('T-2')?.status === 'claimed');
    f.say('/cancel T-2 not needed any more');

    // T-3: rejected with feedback, redone, approved.
    await waitFor('T-3 in review', () => f.ledger.getTask('T-3')?.status === 'review', 30_000);
    f.say('/reject T-3 list the error codes');
    await waitFor(
      'T-3 redone',
      () => f.ledger.getTask('T-3')?.status === 'review' && f.ledger.getTask('T-3')!.attempt === 2,
      30_000,
    );
    f.say('/approve T-3');

    await waitFor(
      'every task final',
      () =>
        f.ledger.listTasks().length === 4 &&
        f.ledger.listTasks().every((t) => ['done', 'cancelled'].includes(t.status)),
      30_000,
    ).catch((err: unknown) => {
      const states = f.ledger.listTasks().map((t) => `${t.id} ${t.status} try ${t.attempt}`);
      throw new Error(`${String(err)}: ${states.join(', ')}\n${f.log.text()}`);
    });
    expect(await orchestrator.poster.drain(30_000)).toBe(0);

    const ledger = f.ledger;
    expect(ledger.listTasks()).toHaveLength(4);
    expect(ledger.getTask('T-1')).toMatchObject({ status: 'done', result: 'intro in a friendly tone' });
    expect(ledger.getTask('T-2')).toMatchObject({ status: 'cancelled' });
    expect(ledger.getTask('T-3')).toMatchObject({
      status: 'done',
      result: 'API review v2 (review feedback: list the error codes)',
    });
    expect(ledger.getTask('T-4')).toMatchObject({ status: 'done', result: 'built Build the parser' });
    // The second attempt saw the feedback; the first saw none.
    expect(seenNotes).toEqual([[], ['review feedback: list the error codes']]);

    // Every claim and every result is in the chat, from the agent's own bot, replying to the task message.
    const lines = f.lines();
    const checked: string[] = [];
    const editedToFinal: string[] = [];
    for (const task of ledger.listTasks()) {
      const main = ledger.outbox.taskMessage(task.id, 'main');
      expect(main, `${task.id} has a main message`).toBeDefined();
      const mainLine = lines.find((l) => l.messageId === Number(main!.messageId))!;
      expect(mainLine.fromUsername).toBe('swarm_bot');
      expect(tokenOf(mainLine.text)).toBe(task.id);
      // One main message per task, and it ends showing the final state in its heading.
      const heading = new RegExp(`^\\S+ ${task.id} · `);
      const mains = lines.filter(
        (l) => l.fromUsername === 'swarm_bot' && [l.text, ...l.edits].some((v) => heading.test(v)),
      );
      expect(mains.map((l) => l.messageId)).toEqual([mainLine.messageId]);
      const mark = task.status === 'done' ? '✅' : '🛑';
      expect(mainLine.text.split('\n').slice(0, 2)).toEqual([
        `${mark} ${task.id} · ${task.title}`,
        task.status,
      ]);
      // When the task became final after its message was first sent, that message was edited in place.
      const firstSent = (
        ledger.db
          .prepare(
            "SELECT MIN(sent_at) AS at FROM outbox WHERE task_id = ? AND platform_message_id = ? AND status = 'sent'",
          )
          .get(task.id, main!.messageId) as { at: number | null }
      ).at;
      expect(firstSent, `${task.id}: when its main message was first sent`).not.toBeNull();
      const finalEvent = ledger
        .events({ taskId: task.id })
        .findLast((e) => ['task_done', 'task_cancelled', 'task_approved'].includes(e.type))!;
      if (finalEvent.at > firstSent!) {
        expect(mainLine.edits.length, `${task.id} edited in place`).toBeGreaterThan(0);
        expect(mainLine.edits[0]!.startsWith(`${mark} `), `${task.id} first shown before final`).toBe(false);
        editedToFinal.push(task.id);
      }
      const under = lines.filter((l) => l.replyTo === mainLine.messageId);
      const events = ledger.events({ taskId: task.id });
      const byAgent = (e: SwarmEvent) =>
        under.filter((l) => l.fromUsername === AGENT_BOTS[e.agentId as keyof typeof AGENT_BOTS]);
      const claims = events.filter((e) => e.type === 'task_claimed');
      expect(claims.length).toBeGreaterThan(0);
      for (const claim of claims) {
        expect(byAgent(claim).filter((l) => l.text.includes('claimed (try')).length).toBeGreaterThan(0);
        checked.push(`${task.id} claim by ${claim.agentId}`);
      }
      expect(under.filter((l) => l.text.includes('claimed (try'))).toHaveLength(claims.length);
      for (const result of events.filter((e) => e.type === 'task_done' || e.type === 'task_review')) {
        const text = String(result.data.result);
        expect(
          byAgent(result).some((l) => l.text.includes(text)),
          `${task.id}: ${text}`,
        ).toBe(true);
        checked.push(`${task.id} result by ${result.agentId}`);
      }
    }
    expect(checked).toEqual([
      'T-1 claim by writer-001',
      'T-1 result by writer-001',
      'T-2 claim by coder-001',
      'T-3 claim by reviewer-001',
      'T-3 claim by reviewer-001',
      'T-3 result by reviewer-001',
      'T-3 result by reviewer-001',
      'T-4 claim by coder-001',
      'T-4 result by coder-001',
    ]);
    // T-1's message was sent before its question (details go under it), so long before it was done.
    expect(editedToFinal).toContain('T-1');
    const visible = f.visibleText();
    expect(visible).toContain('cancelled by Alice: not needed any more');
    expect(visible).toContain('rejected by Alice: list the error codes');
    expect(visible).toContain('approved by Alice');

    expect(ledger.audit().problems).toEqual([]);
    expect(await f.cliAudit()).toBe(0);
    const stats = f.fake.stats();
    expect(stats.tooManyRequests).toBe(0);
    expect(stats.unknownCalls).toEqual([]);
    expect(stats.dropPendingUpdates).toBe(0);
    const logged = f.log.text();
    for (const bot of f.fake.world.accounts.values()) if (bot.token) expect(logged).not.toContain(bot.token);
  }, 90_000);
});
