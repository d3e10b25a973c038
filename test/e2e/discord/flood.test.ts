import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../src/core/logger.ts';
import { tempLedger } from '../../support/temp-ledger.ts';
import { waitFor } from '../../support/wait-for.ts';
import { everyMessage, startSwarmFake, startSwarmOnDiscord, TIME_SCALE } from './discord-swarm-kit.ts';
import { expectAuditPasses } from '../../support/expect-audit.ts';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

const TASKS = 60;

describe('a flood of tasks on Discord', () => {
  // Windows are TIME_SCALE times shorter than Discord's for the fake, the adapter and the poster
  // alike (5 per 1 s instead of 5 per 5 s), so the flood meets the same limits five times faster.
  it(`mirrors ${TASKS} tasks created at once with no 429, every task and result visible`, async () => {
    expect(TIME_SCALE).toBeGreaterThan(1);
    const fake = await startSwarmFake();
    cleanups.push(() => fake.close());
    const ledger = tempLedger();
    const swarm = await startSwarmOnDiscord(fake, ledger, silentLogger);
    cleanups.push(() => swarm.stop());
    // Short pieces of work, so claims, results and the backlog overlap in the channel.
    for (const id of ['designer-001', 'writer-002', 'coder-003'])
      swarm.agent(
        id,
        [],
        async (ctx) => {
          await new Promise((resolve) => setTimeout(resolve, 150));
          return `flood result ${ctx.task.id}`;
        },
        2,
      );

    ledger.transaction(() => {
      for (let i = 1; i <= TASKS; i++) ledger.createTask({ title: `flood task ${i}` }, 'test');
    });
    await waitFor('every task done', () => ledger.countByStatus().done === TASKS, 60_000);
    expect(await swarm.orchestrator.poster.drain(120_000)).toBe(0);

    const seen = everyMessage(fake)
      .map((m) => m.text)
      .join('\n');
    for (let i = 1; i <= TASKS; i++) {
      expect(seen, `T-${i} shown`).toMatch(new RegExp(`\\bT-${i} · flood task ${i}\\b`));
      expect(seen, `T-${i} result shown`).toMatch(new RegExp(`flood result T-${i}\\b`));
    }
    // The channel's budget is far below one message per event: the backlog went out as digests.
    const mirrored = ledger.audit().mirroredEvents;
    expect(everyMessage(fake).length).toBeLessThan(mirrored);
    expect(seen).toMatch(/📋 \d+ updates/);

    expect(fake.counters.served429).toBe(0);
    expect(fake.unknownRoutes).toEqual([]);
    await expectAuditPasses(ledger);
  }, 180_000);

  it('archives the threads of tasks whose results went out inside a digest', async () => {
    // Tasks arrive a little faster than the channel can show them one by one: some get a thread
    // from a claim posted on its own, and their result later goes out in a digest. Whether that
    // happens depends on the machine's pace, so a run where it did not is tried again (up to 3).
    for (let run = 1; ; run++) {
      const fake = await startSwarmFake();
      cleanups.push(() => fake.close());
      const ledger = tempLedger();
      const swarm = await startSwarmOnDiscord(fake, ledger, silentLogger);
      cleanups.push(() => swarm.stop());
      for (const id of ['designer-001', 'writer-002', 'coder-003'])
        swarm.agent(id, [], (ctx) => `flood result ${ctx.task.id}`, 4);
      for (let i = 1; i <= TASKS; i++) {
        ledger.createTask({ title: `steady task ${i}` }, 'test');
        await new Promise((resolve) => setTimeout(resolve, 150));
      }
      await waitFor('every task done', () => ledger.countByStatus().done === TASKS, 60_000);
      expect(await swarm.orchestrator.poster.drain(120_000)).toBe(0);

      const threadIds = new Set(fake.threads(fake.channelId).map((t) => t.id));
      const mergedResults = ledger.db
        .prepare(
          `SELECT m.message_id FROM outbox o JOIN task_messages m ON m.task_id = o.task_id
           WHERE o.status = 'merged' AND json_extract(o.payload, '$.closesDetails') = 1`,
        )
        .all() as { message_id: string }[];
      const threadedInDigest = mergedResults.filter((r) => threadIds.has(r.message_id)).length;
      if (threadedInDigest === 0 && run < 3) {
        await swarm.stop();
        continue;
      }
      expect(threadedInDigest, `runs tried: ${run}`).toBeGreaterThan(0);
      await waitFor('every thread archived', () => fake.threads().every((t) => t.archived), 30_000).catch(
        () => undefined,
      );
      expect(fake.threads().filter((t) => !t.archived)).toEqual([]);
      expect(fake.counters.served429).toBe(0);
      expect(ledger.audit().problems).toEqual([]);
      return;
    }
  }, 540_000);
});
