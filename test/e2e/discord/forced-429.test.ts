/**
 * 429s the server sends although the swarm kept to its limits: each is sat out for its full
 * Retry-After before the same route is tried again, and nothing the swarm meant to show is lost.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../src/core/logger.ts';
import { tempLedger } from '../../support/temp-ledger.ts';
import { waitFor } from '../../support/wait-for.ts';
import { everyMessage, startSwarmFake, startSwarmOnDiscord } from './discord-swarm-kit.ts';
import { expectAuditPasses } from '../../support/expect-audit.ts';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

const TASKS = 10;
const RETRY_AFTER_MS = 800;
const FORCED = 3;

describe('Discord swarm under forced 429s', () => {
  it('waits the full Retry-After of each 429 on the channel before that route again, and loses nothing', async () => {
    const fake = await startSwarmFake();
    cleanups.push(() => fake.close());
    const ledger = tempLedger();
    // Backoff capped below Retry-After, so a gap that long can only come from honouring it.
    const swarm = await startSwarmOnDiscord(fake, ledger, silentLogger, { poster: { maxRetryDelayMs: 200 } });
    cleanups.push(() => swarm.stop());

    // Every fourth write to the channel or a task thread (a new message or an edit of one) is
    // refused, so the 429s fall on different sends spread over the run, not on one send three times.
    const channelWrite = /^\/channels\/\d+\/messages(\/\d+)?$/;
    let writes = 0;
    fake.force429({
      retryAfterMs: RETRY_AFTER_MS,
      count: FORCED,
      matches: (method, path) =>
        (method === 'POST' || method === 'PATCH') && channelWrite.test(path) && writes++ % 4 === 0,
    });
    for (const id of ['designer-001', 'writer-002', 'coder-003'])
      swarm.agent(id, [], async (ctx) => {
        await new Promise((resolve) => setTimeout(resolve, 200));
        return `checked result ${ctx.task.id}`;
      });
    // Tasks arrive one by one, so the run has many separate sends rather than one digest.
    for (let i = 1; i <= TASKS; i++) {
      ledger.createTask({ title: `limited task ${i}` }, 'test');
      await new Promise((resolve) => setTimeout(resolve, 400));
    }

    await waitFor('every task done', () => ledger.countByStatus().done === TASKS, 60_000);
    expect(await swarm.orchestrator.poster.drain(60_000)).toBe(0);
    expect(fake.counters.forced429).toBe(FORCED);

    const refused = fake.requests.filter((r) => r.status === 429);
    expect(refused).toHaveLength(FORCED);
    for (const r of refused) {
      const index = fake.requests.indexOf(r);
      const next = fake.requests
        .slice(index + 1)
        .find((n) => n.botId === r.botId && n.method === r.method && n.path === r.path);
      expect(next, `a retry of ${r.method} ${r.path}`).toBeDefined();
      // Accepted the second time: each 429 fell on a different send.
      expect(next!.status).toBe(200);
      expect(next!.at - r.answeredAt).toBeGreaterThanOrEqual(RETRY_AFTER_MS);
    }

    // Nothing lost: every task and result shown, no outbox row failed, the audit is clean.
    const seen = everyMessage(fake)
      .map((m) => m.text)
      .join('\n');
    for (let i = 1; i <= TASKS; i++) {
      expect(seen).toMatch(new RegExp(`\\bT-${i} · limited task ${i}\\b`));
      expect(seen).toMatch(new RegExp(`checked result T-${i}\\b`));
    }
    const failed = ledger.db.prepare("SELECT COUNT(*) AS n FROM outbox WHERE status = 'failed'").get() as {
      n: number;
    };
    expect(failed.n).toBe(0);
    expect(fake.counters.served429).toBe(0);
    expect(fake.unknownRoutes).toEqual([]);
    await expectAuditPasses(ledger);
  }, 120_000);
});
