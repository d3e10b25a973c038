/**
 * The Bot API goes away in the middle of a run: agents keep working from the ledger, a command a
 * person types meanwhile is applied once when the bot gets through again, and the backlog is posted
 * in order under the limits.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '../../support/wait-for.ts';
import { createTelegramSwarmFixture, type TelegramSwarmFixture } from './telegram-swarm-fixture.ts';

/**
 * As long as the outage. Nothing in the swarm is tuned to it (the poller and the poster back
 * off to at most 0.5 s and 1 s here), so a shorter one would prove the same; 30 s keeps the file
 * well under a minute and matches what people see when a host loses its network for a while.
 */
const OUTAGE_MS = 30_000;
const BACKLOG_TASKS = 5;

let fx: TelegramSwarmFixture | undefined;
afterEach(async () => {
  await fx?.close();
  fx = undefined;
});

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('telegram swarm through an outage', () => {
  it('keeps working while the server is down, applies a command typed meanwhile once, and posts the backlog in order', async () => {
    fx = await createTelegramSwarmFixture({ timeScale: 20 });
    const f = fx;
    // Each task gets its own main message, so their order can be checked.
    const { orchestrator } = await f.startOrchestrator({ poster: { digestThreshold: 1_000 } });
    for (const id of ['coder-001', 'writer-001', 'reviewer-001'] as const)
      f.startAgent(id, [], (ctx) => `${ctx.task.title} finished by ${ctx.agentId}`);

    f.say('/task before the outage');
    await waitFor('T-1 done', () => f.ledger.getTask('T-1')?.status === 'done');
    expect(await orchestrator.poster.drain(20_000)).toBe(0);
    const botLines = () => f.lines().filter((l) => l.isBot).length;
    const postedBefore = botLines();

    const downAt = Date.now();
    await f.fake.goDown();
    // The person's phone still reaches Telegram; only the swarm's host lost it.
    f.say('/task typed during the outage');
    for (let i = 0; i < BACKLOG_TASKS; i++) {
      const { task } = f.ledger.createTask({ title: `backlog ${i + 1}` }, 'cli');
      await waitFor(`${task.id} done`, () => f.ledger.getTask(task.id)?.status === 'done');
    }
    expect(f.fake.isDown).toBe(true);
    expect(f.ledger.countByStatus().done).toBe(1 + BACKLOG_TASKS);
    expect(f.ledger.outbox.pendingCount('main')).toBeGreaterThan(0);
    await sleep(Math.max(0, OUTAGE_MS - (Date.now() - downAt)));
    // Nothing reached the chat from the swarm while it was cut off.
    expect(botLines()).toBe(postedBefore);
    await f.fake.goUp();

    const typed = await waitFor('the command typed meanwhile', () =>
      f.ledger.listTasks().find((t) => t.title === 'typed during the outage' && t.status === 'done'),
    );
    expect(await orchestrator.poster.drain(30_000)).toBe(0);
    // Applied exactly once, from the update the server kept.
    expect(f.ledger.listTasks().filter((t) => t.title === 'typed during the outage')).toHaveLength(1);
    expect(f.ledger.events({ taskId: typed.id }).filter((e) => e.type === 'task_created')).toHaveLength(1);
    expect(f.ledger.listTasks()).toHaveLength(2 + BACKLOG_TASKS);

    // The backlog's main messages came out in task order, each with its details under it.
    const backlog = f.ledger.listTasks().filter((t) => t.title.startsWith('backlog '));
    const mains = backlog.map((t) => Number(f.ledger.outbox.taskMessage(t.id, 'main')!.messageId));
    expect(mains).toEqual([...mains].sort((a, b) => a - b));
    const lines = f.lines();
    for (const [i, t] of backlog.entries()) {
      const under = lines.filter((l) => l.replyTo === mains[i]).map((l) => l.text);
      expect(under.some((text) => text.includes('claimed (try'))).toBe(true);
      expect(under.some((text) => text.includes(`${t.title} finished by`))).toBe(true);
    }
    expect(f.ledger.audit().problems).toEqual([]);
    expect(await f.cliAudit()).toBe(0);
    const stats = f.fake.stats();
    expect(stats.tooManyRequests).toBe(0);
    expect(stats.dropPendingUpdates).toBe(0);
    expect(stats.unknownCalls).toEqual([]);
  }, 90_000);
});
