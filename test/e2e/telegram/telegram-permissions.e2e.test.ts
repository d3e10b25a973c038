/**
 * A second person in the group who is not a swarm admin: their commands that would change the
 * swarm, and their reply to an agent's question, are refused with a reply and change nothing,
 * while the admin's go through.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '../../support/wait-for.ts';
import { createTelegramSwarmFixture, type TelegramSwarmFixture } from './telegram-swarm-fixture.ts';

let fx: TelegramSwarmFixture | undefined;
afterEach(async () => {
  await fx?.close();
  fx = undefined;
});

describe('telegram swarm: a person who is not an admin', () => {
  it('is refused with a reply on /cancel, /task and answering a question; the ledger does not change', async () => {
    fx = await createTelegramSwarmFixture({ timeScale: 20 });
    const f = fx;
    const { orchestrator } = await f.startOrchestrator({ poster: { digestThreshold: 1_000 } });
    f.startAgent('writer-001', ['write'], async (ctx) => `painted ${await ctx.ask('Which colour?')}`);

    f.say('/task Paint the door skills=write');
    const question = await waitFor(
      'the question in the group',
      () => f.lines().find((l) => l.text.includes('❓ Which colour?')),
      30_000,
    );
    const eventsBefore = f.ledger.events({}).length;

    const bobs = [
      f.bobSays('red', question.messageId),
      f.bobSays('/cancel T-1 I do not like doors'),
      f.bobSays('/task Bob wants a window'),
    ];
    const refusals = await waitFor(
      'a refusal under each of Bob’s messages',
      () => {
        const found = bobs.map((m) =>
          f.lines().find((l) => l.fromUsername === 'swarm_bot' && l.replyTo === m.messageId),
        );
        return found.every((l) => l !== undefined) ? found : undefined;
      },
      30_000,
    );
    expect(refusals.map((l) => l.text.startsWith('⛔'))).toEqual([true, true, true]);
    expect(refusals[0]!.text).toContain('only admins');
    expect(refusals[1]!.text).toContain('/cancel');
    expect(refusals[2]!.text).toContain('/task');

    // Nothing changed: one task, still waiting for its answer, and no event from Bob.
    expect(f.ledger.listTasks().map((t) => [t.id, t.status])).toEqual([['T-1', 'blocked']]);
    const since = f.ledger.events({}).slice(eventsBefore);
    expect(since.filter((e) => e.actor.includes(String(f.bob.id)) || e.actor.includes('Bob'))).toEqual([]);
    expect(since.map((e) => e.type)).not.toContain('task_cancelled');
    expect(since.map((e) => e.type)).not.toContain('task_answered');

    // The admin's answer goes through.
    f.say('blue', question.messageId);
    await waitFor('T-1 done', () => f.ledger.getTask('T-1')?.status === 'done', 30_000);
    expect(f.ledger.getTask('T-1')).toMatchObject({ result: 'painted blue' });
    expect(f.ledger.listTasks()).toHaveLength(1);
    expect(await orchestrator.poster.drain(30_000)).toBe(0);
    expect(f.ledger.audit().problems).toEqual([]);
    expect(f.fake.stats().unknownCalls).toEqual([]);
  }, 90_000);
});
