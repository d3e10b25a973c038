/**
 * Flood control end to end: a burst of tasks mirrored under Telegram's limits without a single 429,
 * and 429s forced by the server honoured for their full retry_after with nothing lost.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '../../support/wait-for.ts';
import { startRequestLogProxy, type RequestLogProxy } from './request-log-proxy.ts';
import { createTelegramSwarmFixture, type TelegramSwarmFixture } from './telegram-swarm-fixture.ts';

let fx: TelegramSwarmFixture | undefined;
let proxy: RequestLogProxy | undefined;
afterEach(async () => {
  await fx?.close();
  await proxy?.close();
  fx = undefined;
  proxy = undefined;
});

const resultOf = (id: string): string => `result of ${id}: ${id.length * 7919}-${id}`;

/** Starts three agents that return `resultOf(task)` after `workMs` each. */
function startAgents(f: TelegramSwarmFixture, workMs = 0, capacity = 4): void {
  for (const id of ['coder-001', 'writer-001', 'reviewer-001'] as const)
    f.startAgent(
      id,
      [],
      async (ctx) => {
        if (workMs > 0) await new Promise((r) => setTimeout(r, workMs));
        return resultOf(ctx.task.id);
      },
      capacity,
    );
}

/** Every task done, every task id and result readable in the chat, every event posted, audit clean. */
async function expectEverythingMirrored(f: TelegramSwarmFixture, drain: (ms: number) => Promise<number>) {
  await waitFor('all done', () => f.ledger.listTasks().every((t) => t.status === 'done'), 60_000);
  expect(await drain(60_000)).toBe(0);
  const visible = f.visibleText();
  const tasks = f.ledger.listTasks();
  for (const t of tasks) {
    expect(visible).toMatch(new RegExp(`\\b${t.id}\\b`));
    expect(visible).toContain(resultOf(t.id));
  }
  const failed = f.ledger.db.prepare("SELECT COUNT(*) AS n FROM outbox WHERE status = 'failed'").get() as {
    n: number;
  };
  expect(failed.n).toBe(0);
  expect(f.ledger.audit().problems).toEqual([]);
  expect(await f.cliAudit()).toBe(0);
  expect(f.fake.stats().unknownCalls).toEqual([]);
}

describe('telegram swarm under flood control', () => {
  it('mirrors 60 tasks created at once with zero 429s (digests allowed)', async () => {
    // Telegram's limits with time divided by 30 — a group gets 20 messages per 2 s instead of per
    // minute, a chat 1 per 34 ms instead of per second — on the fake, the adapter and the poster alike.
    fx = await createTelegramSwarmFixture({ timeScale: 30 });
    const f = fx;
    const { orchestrator } = await f.startOrchestrator();
    // Work takes a while, so events keep coming while the mirror is busy: several group windows' worth.
    startAgents(f, 250, 1);
    // Like a CLI client: a person typing 60 commands would be rate limited by Telegram themselves.
    for (let i = 1; i <= 60; i++) f.ledger.createTask({ title: `flood task ${i}` }, 'cli');
    await expectEverythingMirrored(f, (ms) => orchestrator.poster.drain(ms));
    expect(f.ledger.listTasks()).toHaveLength(60);
    expect(f.fake.stats().tooManyRequests).toBe(0);
    // More events than messages: the backlog went out merged, within the budget.
    const sentMessages = f.lines().length;
    expect(sentMessages).toBeLessThan(f.ledger.audit().mirroredEvents);
    // And enough traffic that the group limit mattered: more than one window's worth of calls (how
    // many more depends on the machine's pace: digests absorb more of the backlog on a fast one).
    const { calls } = f.fake.stats();
    const sends = (calls.sendMessage ?? 0) + (calls.editMessageText ?? 0);
    expect(sends).toBeGreaterThan(f.limits.perGroup.max);
  }, 90_000);

  it('waits the full retry_after of 429s the server sends anyway, and loses nothing', async () => {
    fx = await createTelegramSwarmFixture({ timeScale: 20 });
    const f = fx;
    proxy = await startRequestLogProxy(f.fake.apiRoot);
    const log = proxy.requests;
    // Backoff capped below retry_after, so a gap of retry_after can only come from honouring it.
    const RETRY_AFTER_S = 2;
    const { orchestrator } = await f.startOrchestrator({
      channel: { apiRoot: proxy.apiRoot },
      poster: { maxRetryDelayMs: 500 },
    });
    f.fake.force429({
      retryAfterSeconds: RETRY_AFTER_S,
      count: 3,
      methods: ['sendMessage', 'editMessageText'],
    });
    startAgents(f);
    for (let i = 1; i <= 5; i++) f.ledger.createTask({ title: `task ${i}` }, 'cli');
    await expectEverythingMirrored(f, (ms) => orchestrator.poster.drain(ms));

    expect(f.fake.stats().tooManyRequests).toBe(3);
    const toChat = log
      .filter((r) => r.chatId === String(f.chat.id))
      .sort((a, b) => a.arrivedAt - b.arrivedAt);
    const refused = toChat.filter((r) => r.status === 429);
    expect(refused).toHaveLength(3);
    for (const r of refused) {
      expect(r.retryAfterSeconds).toBe(RETRY_AFTER_S);
      const next = toChat.find((n) => n.arrivedAt >= r.arrivedAt && n !== r);
      expect(next, 'a send after the 429').toBeDefined();
      expect(next!.arrivedAt - r.answeredAt).toBeGreaterThanOrEqual(RETRY_AFTER_S * 1_000);
    }
    // Every refused send was made again and accepted.
    expect(toChat.filter((r) => r.status === 200).length).toBeGreaterThanOrEqual(f.lines().length);
  }, 90_000);
});
