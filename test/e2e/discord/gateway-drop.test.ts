import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../src/core/logger.ts';
import { tempLedger } from '../../support/temp-ledger.ts';
import { waitFor } from '../../support/wait-for.ts';
import { startSwarmFake, startSwarmOnDiscord } from './discord-swarm-kit.ts';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

describe('a swarm on Discord when the gateway drops', () => {
  it.each([
    { kind: 'resumable drop (missed events replayed on RESUME)', invalidate: false },
    { kind: 'invalidated session (catch-up from channel history)', invalidate: true },
  ])(
    'applies commands posted while disconnected exactly once: $kind',
    async ({ invalidate }) => {
      const fake = await startSwarmFake();
      cleanups.push(() => fake.close());
      const ledger = tempLedger();
      const swarm = await startSwarmOnDiscord(fake, ledger, silentLogger);
      cleanups.push(() => swarm.stop());

      const before = fake.post('alice', '/task before the drop');
      await waitFor('T-1 created', () => ledger.getTask('T-1'), 30_000);

      fake.dropGateway({ invalidate });
      // No session has a socket now: what is posted next reaches the bot only after the reconnect.
      expect([...fake.gateway.sessions.values()].filter((s) => s.socket !== null)).toEqual([]);
      const cancel = fake.post('alice', '/cancel T-1 posted while disconnected');
      const create = fake.post('alice', '/task created while disconnected');

      await waitFor(
        'reconnect',
        () => (invalidate ? fake.gateway.counters.identifies >= 2 : fake.gateway.counters.resumes >= 1),
        30_000,
      );
      // Everything posted before this marker has gone through the inbound queue once it is applied.
      const marker = fake.post('alice', '/task marker after the reconnect');
      await waitFor('marker applied', () => ledger.getTask('T-3'), 30_000);

      expect(ledger.listTasks().map((t) => t.title)).toEqual([
        'before the drop',
        'created while disconnected',
        'marker after the reconnect',
      ]);
      expect(ledger.getTask('T-1')!.status).toBe('cancelled');
      expect(ledger.events({ taskId: 'T-1' }).filter((e) => e.type === 'task_cancelled')).toHaveLength(1);
      const inbox = ledger.db.prepare('SELECT message_id, outcome FROM inbox ORDER BY message_id').all();
      expect(inbox).toEqual(
        [before, cancel, create, marker].map((id) => ({ message_id: id, outcome: 'applied' })),
      );
      if (invalidate) expect(fake.gateway.counters.invalidSessions).toBeGreaterThanOrEqual(1);
      else expect(fake.gateway.counters.resumes).toBeGreaterThanOrEqual(1);

      expect(await swarm.orchestrator.poster.drain(30_000)).toBe(0);
      expect(
        fake.transcript(ledger.outbox.taskMessage('T-1', 'main')!.messageId).map((m) => m.content),
      ).toContain('🛑 cancelled by alice: posted while disconnected');
      expect(fake.counters.served429).toBe(0);
      expect(fake.unknownRoutes).toEqual([]);
      expect(ledger.audit().problems).toEqual([]);
    },
    90_000,
  );
});
