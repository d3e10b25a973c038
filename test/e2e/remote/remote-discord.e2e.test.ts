/**
 * Remote agents on the fake Discord, every party in its own process: the orchestrator (`up`) and
 * three remote agents (`agent --remote`), each with its own folder and bot, the agents with no
 * ledger. People act through the fake; the test reads the orchestrator's ledger read-only.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliAudit } from '../../support/expect-audit.ts';
import { tempDir } from '../../support/temp-ledger.ts';
import { waitFor } from '../../support/wait-for.ts';
import { startDiscordRemoteSwarm, type DiscordRemoteSwarm } from './discord-remote-swarm.ts';
import { ledgerFilesUnder, outputs, stopProc } from './remote-fixture.ts';

const AGENTS = ['coder-1', 'coder-2', 'coder-3'] as const;

let swarm: DiscordRemoteSwarm;

beforeAll(async () => {
  swarm = await startDiscordRemoteSwarm(tempDir('swarm-remote-discord-'), [...AGENTS]);
  for (const id of AGENTS) swarm.startAgent(id);
  await swarm.agentsActive(3);
}, 120_000);

afterAll(async () => {
  await swarm?.close();
});

function task(id: string) {
  return swarm.ledger.getTask(id);
}

describe('remote agents on Discord, in separate processes', () => {
  it('do a task, ask a person, stop on cancel, redo a rejected review, race for one grant, and survive a kill -9', async () => {
    const { fake, folders, ledger, agents } = swarm;
    try {
      const plain = await swarm.created('plain job');
      const ask = await swarm.created('ask about tone');
      const long = await swarm.created('long job');

      await waitFor('the question', () => task(ask)?.status === 'blocked', 60_000, 100);
      fake.post('alice', `/answer ${ask} formal`);
      await waitFor(
        'long job running',
        () => task(long)?.status === 'claimed' && task(long)?.progressPct === 10,
        60_000,
        100,
      );
      fake.post('alice', `/cancel ${long} not needed`);
      const stoppedMark = join(folders.marks, `stopped-${long}`);
      await waitFor('the remote worker stopped', () => existsSync(stoppedMark), 30_000, 100);

      await waitFor(
        'plain and ask done',
        () => task(plain)?.status === 'done' && task(ask)?.status === 'done',
        60_000,
        100,
      );
      expect(task(plain)?.result).toMatch(/^done by coder-\d$/);
      expect(task(ask)?.result).toMatch(/^tone=formal by coder-\d$/);
      expect(task(long)?.status).toBe('cancelled');

      // A review that is rejected and redone, with the feedback reaching the remote worker.
      fake.post('alice', '/task review job skills=code review=yes');
      const reviewed = await waitFor(
        'review task',
        () => ledger.listTasks().find((x) => x.title === 'review job'),
        20_000,
        50,
      );
      await waitFor('first draft in review', () => task(reviewed.id)?.status === 'review', 60_000, 100);
      fake.post('alice', `/reject ${reviewed.id} make it shorter`);
      await waitFor(
        'redone',
        () => task(reviewed.id)?.status === 'review' && task(reviewed.id)!.attempt >= 2,
        60_000,
        100,
      );
      expect(task(reviewed.id)?.result).toContain('make it shorter');
      fake.post('alice', `/approve ${reviewed.id}`);
      await waitFor('approved', () => task(reviewed.id)?.status === 'done', 60_000, 100);

      // kill -9 of the agent working on it: its lease runs out and another agent finishes.
      const crash = await swarm.created('crash job');
      const victim = await waitFor(
        'the crash job taken',
        () => {
          const mark = join(folders.marks, `crash-${crash}`);
          return existsSync(mark) ? readFileSync(mark, 'utf8').trim() : undefined;
        },
        60_000,
        100,
      );
      agents.get(victim)!.child.kill('SIGKILL');
      await waitFor('crash job done by another agent', () => task(crash)?.status === 'done', 90_000, 200);
      expect(task(crash)?.result).toMatch(/^finished by coder-\d$/);
      expect(task(crash)?.result).not.toContain(victim);
      expect(
        ledger.events({ taskId: crash }).some((e) => e.type === 'lease_expired' && e.agentId === victim),
      ).toBe(true);

      // Offers go to two agents at once: claims raced, and each attempt was granted once.
      const top = fake.transcript().map((m) => m.content.replace(/\\(.)/g, '$1'));
      const grants = top.filter((t) => t.startsWith('/grant@')).map((t) => t.split(' ')[1]);
      expect(new Set(grants).size).toBe(grants.length);
      expect(top.some((t) => t.startsWith('/taken@'))).toBe(true);
      for (const id of [plain, ask, long, crash, reviewed.id]) {
        const rows = ledger.core
          .sql('SELECT attempt, agent_id FROM attempts WHERE task_id = ?')
          .all(id) as Array<{ attempt: number }>;
        expect(new Set(rows.map((r) => r.attempt)).size).toBe(rows.length);
      }
      // The agents never had a ledger.
      for (const id of AGENTS) expect(ledgerFilesUnder(join(folders.root, id))).toEqual([]);

      // Everything mirrored before the orchestrator stops, so the audit finds nothing pending.
      await waitFor('the mirror caught up', () => ledger.outbox.pendingCount('main') === 0, 60_000, 200);
      await stopProc(swarm.orchestrator);
      const audit = await cliAudit(swarm.dbPath);
      expect(audit.code, audit.output).toBe(0);
    } catch (err) {
      throw new Error(`${String(err)}\n${outputs(swarm.procs)}`, { cause: err });
    }
  }, 300_000);
});
