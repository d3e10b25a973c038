/**
 * The chat side of "workers and channel members are untrusted", end to end on the fake Telegram
 * with the real grammY adapter: a worker's or a title's `@alice` notifies no one; commands addressed
 * to another bot are ignored; a flood from someone who is not an admin draws a handful of replies.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { REPLY_LIMIT_NOTE } from '../../../src/commands/reply-limiter.ts';
import { waitFor } from '../../support/wait-for.ts';
import { createTelegramSwarmFixture, type TelegramSwarmFixture } from './telegram-swarm-fixture.ts';

let fx: TelegramSwarmFixture | undefined;
afterEach(async () => {
  await fx?.close();
  fx = undefined;
});

const countRows = (f: TelegramSwarmFixture): number => f.ledger.inbox.count();

describe('telegram swarm: untrusted text and members', () => {
  it("a task title's and a worker's @alice notify no one, while a person's @alice does", async () => {
    fx = await createTelegramSwarmFixture({ timeScale: 20 });
    const f = fx;
    const { orchestrator } = await f.startOrchestrator({ poster: { digestThreshold: 1_000 } });
    f.startAgent('coder-001', ['code'], (ctx) => {
      ctx.progress(50, 'halfway, @alice');
      return `shipped ${ctx.task.title}; cc @alice @bob (@everyone)`;
    });
    f.say('/task Ping @alice about the release skills=code');
    await waitFor('T-1 done', () => f.ledger.getTask('T-1')?.status === 'done', 30_000);
    expect(await orchestrator.poster.drain(30_000)).toBe(0);
    const fromSwarm = f.lines().filter((l) => l.isBot);
    expect(fromSwarm.some((l) => l.text.replaceAll('\u2060', '').includes('cc @alice @bob'))).toBe(true);
    expect(fromSwarm.some((l) => l.text.replaceAll('\u2060', '').includes('Ping @alice'))).toBe(true);
    expect(f.fake.mentions(f.chat.id)).toEqual([]);

    // The control: the same words from a person do notify, so the check above can fail.
    f.bobSays('cc @alice');
    expect(f.fake.mentions(f.chat.id)).toMatchObject([{ userId: f.alice.id, fromId: f.bob.id }]);
  });

  it('ignores commands addressed to another bot, whatever follows the name, and obeys its own', async () => {
    fx = await createTelegramSwarmFixture({ timeScale: 20 });
    const f = fx;
    const { orchestrator } = await f.startOrchestrator();
    f.ledger.createTask({ title: 'one', skills: ['none'] }, 'cli');
    f.ledger.createTask({ title: 'two', skills: ['none'] }, 'cli');
    f.ledger.createTask({ title: 'three', skills: ['none'] }, 'cli');
    const others = [
      f.say('/cancel@other_swarm_bot: T-1'),
      f.say('!cancel@other_swarm_bot T-2'),
      f.say('/cancel@other_swarm_bot\nT-1'),
      f.say('/cancel@Other_Swarm_Bot, T-2'),
    ];
    f.say('/cancel@Swarm_Bot: T-3');
    await waitFor('T-3 cancelled', () => f.ledger.getTask('T-3')?.status === 'cancelled', 20_000);
    await waitFor('every message recorded', () => countRows(f) >= 5, 20_000);
    expect(f.ledger.getTask('T-1')!.status).toBe('queued');
    expect(f.ledger.getTask('T-2')!.status).toBe('queued');
    const outcomes = others.map(
      (m) =>
        (
          f.ledger.db.prepare('SELECT outcome FROM inbox WHERE message_id = ?').get(String(m.messageId)) as {
            outcome: string;
          }
        ).outcome,
    );
    expect(outcomes).toEqual(['ignored', 'ignored', 'ignored', 'ignored']);
    expect(await orchestrator.poster.drain(20_000)).toBe(0);
    // No reply to any of them: someone else's command is none of this swarm's business.
    const ids = new Set(others.map((m) => m.messageId));
    expect(f.lines().filter((l) => l.replyTo !== undefined && ids.has(l.replyTo))).toEqual([]);
  });

  it("a non-admin's flood of 200 commands draws 5 replies; the admin is still answered", async () => {
    fx = await createTelegramSwarmFixture({ timeScale: 20 });
    const f = fx;
    const { orchestrator } = await f.startOrchestrator();
    f.ledger.createTask({ title: 'guarded', skills: ['none'] }, 'cli');
    const flood = Array.from({ length: 200 }, (_, i) => f.bobSays(i % 2 ? '/cancel T-1' : '/bogus'));
    await waitFor('the flood recorded', () => countRows(f) >= 200, 30_000);
    const status = f.say('/status');
    await waitFor('the admin answered', () => f.lines().find((l) => l.replyTo === status.messageId), 30_000);
    expect(await orchestrator.poster.drain(30_000)).toBe(0);
    const ids = new Set(flood.map((m) => m.messageId));
    const toBob = f.lines().filter((l) => l.isBot && l.replyTo !== undefined && ids.has(l.replyTo));
    expect(toBob).toHaveLength(5);
    expect(toBob[4]!.text).toContain(REPLY_LIMIT_NOTE);
    expect(f.ledger.getTask('T-1')!.status).toBe('queued');
  });
});
