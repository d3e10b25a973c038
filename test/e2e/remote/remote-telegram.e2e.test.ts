/**
 * Remote agents on the fake Telegram, each party in its own process. The agents' bots have
 * Bot-to-Bot Communication Mode on and are plain members with privacy mode on; the orchestrator's
 * bot is an admin without the mode. So every protocol message must reach its bot by `/verb@bot`,
 * as the documented rules allow when one of the two has the mode. Telegram's limits run 10× faster.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliAudit } from '../../support/expect-audit.ts';
import { tempDir } from '../../support/temp-ledger.ts';
import { waitFor } from '../../support/wait-for.ts';
import { ledgerFilesUnder, outputs, stopProc } from './remote-fixture.ts';
import { startTelegramRemoteSwarm, type TelegramRemoteSwarm } from './telegram-remote-swarm.ts';

const AGENTS = ['coder-1', 'coder-2', 'coder-3'];
let swarm: TelegramRemoteSwarm;

beforeAll(async () => {
  swarm = await startTelegramRemoteSwarm(tempDir('swarm-remote-telegram-'), AGENTS);
  for (const id of AGENTS) swarm.startAgent(id);
  await swarm.agentsActive(3);
}, 120_000);

afterAll(async () => {
  await swarm?.close();
});

const task = (id: string) => swarm.ledger.getTask(id);

async function created(title: string): Promise<string> {
  swarm.say(`/task ${title} skills=code`);
  const t = await waitFor(
    `task '${title}'`,
    () => swarm.ledger.listTasks().find((x) => x.title === title),
    20_000,
    50,
  );
  return t.id;
}

describe('remote agents on Telegram (Bot-to-Bot Communication Mode), in separate processes', () => {
  it('do a task, ask a person, stop on cancel, redo a rejected review, race for one grant, and survive a kill -9', async () => {
    const { fake, chat, folders, ledger } = swarm;
    try {
      const plain = await created('plain job');
      const ask = await created('ask about tone');
      const long = await created('long job');
      await waitFor('the question', () => task(ask)?.status === 'blocked', 60_000, 100);
      swarm.say(`/answer ${ask} formal`);
      await waitFor('long job running', () => task(long)?.progressPct === 10, 60_000, 100);
      swarm.say(`/cancel ${long}`);
      await waitFor(
        'the remote worker stopped',
        () => existsSync(join(folders.marks, `stopped-${long}`)),
        30_000,
        100,
      );
      await waitFor(
        'plain and ask done',
        () => task(plain)?.status === 'done' && task(ask)?.status === 'done',
        60_000,
        100,
      );
      expect(task(plain)?.result).toMatch(/^done by coder-\d$/);
      expect(task(ask)?.result).toMatch(/^tone=formal by coder-\d$/);

      // A review that is rejected and redone, with the feedback reaching the remote worker.
      swarm.say('/task review job skills=code review=yes');
      const review = await waitFor(
        'review task',
        () => ledger.listTasks().find((x) => x.title === 'review job'),
        20_000,
        50,
      );
      await waitFor('first draft in review', () => task(review.id)?.status === 'review', 60_000, 100);
      swarm.say(`/reject ${review.id} make it shorter`);
      await waitFor(
        'redone',
        () => task(review.id)?.status === 'review' && task(review.id)!.attempt >= 2,
        60_000,
        100,
      );
      expect(task(review.id)?.result).toContain('make it shorter');
      swarm.say(`/approve ${review.id}`);
      await waitFor('approved', () => task(review.id)?.status === 'done', 60_000, 100);

      const crash = await created('crash job');
      const victim = await waitFor(
        'the crash job taken',
        () => {
          const mark = join(folders.marks, `crash-${crash}`);
          return existsSync(mark) ? readFileSync(mark, 'utf8').trim() : undefined;
        },
        60_000,
        100,
      );
      swarm.agents.get(victim)!.child.kill('SIGKILL');
      await waitFor('crash job done by another agent', () => task(crash)?.status === 'done', 90_000, 200);
      expect(task(crash)?.result).not.toContain(victim);

      // Every protocol message reached its bot by name; each attempt was granted once.
      const texts = fake.transcript(chat.id).map((l) => l.text);
      const grants = texts.filter((t) => t.startsWith('/grant@')).map((t) => t.split(' ')[1]);
      expect(grants.length).toBeGreaterThanOrEqual(4);
      expect(new Set(grants).size).toBe(grants.length);
      expect(texts.some((t) => t.startsWith('/taken@'))).toBe(true);
      for (const id of AGENTS) expect(ledgerFilesUnder(join(folders.root, id))).toEqual([]);
      expect(fake.stats().tooManyRequests).toBe(0);

      await waitFor('the mirror caught up', () => ledger.outbox.pendingCount('main') === 0, 60_000, 200);
      await stopProc(swarm.orchestrator);
      const audit = await cliAudit(swarm.dbPath);
      expect(audit.code, audit.output).toBe(0);
    } catch (err) {
      throw new Error(`${String(err)}\n${outputs(swarm.procs)}`, { cause: err });
    }
  }, 300_000);
});
