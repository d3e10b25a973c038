/**
 * Restart catch-up: commands typed while no orchestrator runs are waiting at the server as pending
 * updates; a new orchestrator on the same ledger file applies each once, and nothing handled before
 * the restart is applied again.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '../../support/wait-for.ts';
import { createTelegramSwarmFixture, type TelegramSwarmFixture } from './telegram-swarm-fixture.ts';

let fx: TelegramSwarmFixture | undefined;
afterEach(async () => {
  await fx?.close();
  fx = undefined;
});

describe('telegram swarm restart', () => {
  it('applies commands typed while the orchestrator was down exactly once after a restart', async () => {
    fx = await createTelegramSwarmFixture({ timeScale: 20 });
    const f = fx;
    const first = await f.startOrchestrator();
    const agent = f.startAgent('coder-001', [], (ctx) => `did ${ctx.task.title}`);
    f.say('/task before the restart');
    await waitFor('T-1 done', () => f.ledger.getTask('T-1')?.status === 'done');
    expect(await first.orchestrator.poster.drain(20_000)).toBe(0);
    await agent.stop();
    await first.stop();

    f.say('/task typed while the swarm was down');
    f.say('/cancel T-1 too late, it is done');
    f.say('/task another one while down');

    const ledger = f.reopenLedger();
    const second = await f.startOrchestrator();
    f.startAgent('coder-001', [], (ctx) => `did ${ctx.task.title}`);
    await waitFor('both typed tasks done', () => ledger.countByStatus().done === 3);
    expect(await second.orchestrator.poster.drain(20_000)).toBe(0);

    const titles = ledger.listTasks().map((t) => t.title);
    expect(titles).toEqual([
      'before the restart',
      'typed while the swarm was down',
      'another one while down',
    ]);
    // The refused cancel got its one answer, in reply to the person's message.
    const refusals = f
      .lines()
      .filter(
        (l) =>
          l.fromUsername === 'swarm_bot' &&
          /T-1/.test(l.text) &&
          /done/.test(l.text) &&
          l.replyTo !== undefined,
      );
    expect(refusals.length).toBe(1);
    expect(f.fake.stats().dropPendingUpdates).toBe(0);
    expect(ledger.audit().problems).toEqual([]);
    expect(await f.cliAudit()).toBe(0);
    expect(f.fake.stats().tooManyRequests).toBe(0);
  }, 60_000);
});
