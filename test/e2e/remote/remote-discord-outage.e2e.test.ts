/**
 * Outages on the fake Discord, every party a CLI process: an agent whose bot is cut off from the
 * platform mid-task (REST dropped, gateway dead) finishes anyway and delivers its result late, after
 * the task was given to another agent: refused once, nothing recorded twice. The orchestrator killed
 * mid-flight and started again loses nothing. A person and a bot that is not a configured agent
 * posting protocol messages change nothing. On the way: the agent config's `passEnv` reaches the
 * remote worker and the agent's bot token does not; a symbolic link to a file outside the attempt
 * folder is refused as an artifact, and the reason reaches the channel.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Ledger } from '../../../src/ledger/ledger.ts';
import { cliAudit } from '../../support/expect-audit.ts';
import { tempDir } from '../../support/temp-ledger.ts';
import { waitFor } from '../../support/wait-for.ts';
import { startDiscordRemoteSwarm, type DiscordRemoteSwarm } from './discord-remote-swarm.ts';
import { ledgerFilesUnder, outputs, stopProc } from './remote-fixture.ts';

let swarm: DiscordRemoteSwarm;

beforeAll(async () => {
  swarm = await startDiscordRemoteSwarm(tempDir('swarm-remote-discord-outage-'), ['coder-1', 'coder-2']);
}, 120_000);

afterAll(async () => {
  await swarm?.close();
});

/** What the channel and its threads show now, Discord's markdown escapes undone. */
function channelText(): string {
  const { fake } = swarm;
  return [fake.channelId, ...fake.threads().map((t) => t.id)]
    .flatMap((id) => fake.transcript(id).map((m) => m.content))
    .join('\n')
    .replace(/\\(.)/g, '$1');
}

describe('remote agents through outages (Discord, separate processes)', () => {
  it('refuse a late result once, survive an orchestrator restart, and ignore forgeries', async () => {
    const { folders, fake } = swarm;
    try {
      swarm.startAgent('coder-1');
      await swarm.agentsActive(1);

      // The worker's environment: passEnv reaches it, the agent's bot token does not.
      const env = await swarm.created('env check');
      await waitFor('env check done', () => swarm.ledger.getTask(env)?.status === 'done', 60_000, 100);
      expect(swarm.ledger.getTask(env)?.result).toBe('token=none leaks=0 passed=passed to coder-1');

      // A link to a file outside the attempt folder is refused; the plain file is attached.
      const link = await swarm.created('link job');
      await waitFor('link job done', () => swarm.ledger.getTask(link)?.status === 'done', 60_000, 100);
      const linked = swarm.ledger.getTask(link)!.result!;
      expect(linked).toMatch(/^linked by coder-1/);
      expect(linked).toMatch(/leak\.txt not attached: a symbolic link/);
      const done = swarm.ledger.events({ taskId: link }).find((e) => e.type === 'task_done');
      expect((done?.data.artifacts as Array<{ name: string }>).map((a) => a.name)).toEqual(['inside.txt']);
      await waitFor(
        'the refusal shown in the channel',
        () => /leak\.txt not attached: a symbolic link/.test(channelText()),
        30_000,
        200,
      );
      expect(channelText()).not.toContain('outside the folder');

      // coder-1 cut off from Discord while it works on the slow job.
      const slow = await swarm.created('slow job');
      await waitFor('coder-1 working', () => existsSync(join(folders.marks, `slow-${slow}`)), 60_000, 100);
      fake.cutOffBot('coder-1');
      await waitFor(
        'lease expired',
        () => swarm.ledger.events({ taskId: slow }).some((e) => e.type === 'lease_expired'),
        60_000,
        100,
      );
      swarm.startAgent('coder-2');
      await waitFor('coder-2 finished it', () => swarm.ledger.getTask(slow)?.status === 'done', 60_000, 100);
      expect(swarm.ledger.getTask(slow)?.result).toBe('fresh by coder-2');
      // coder-1's worker finishes while it is cut off; its result waits in its store.
      writeFileSync(join(folders.marks, `release-${slow}`), '');
      await waitFor(
        'coder-1 tried to deliver',
        () => swarm.agents.get('coder-1')!.output.join('').includes('message not sent'),
        30_000,
        100,
      );
      fake.reconnectBot('coder-1');
      await waitFor(
        'the late result refused',
        () => swarm.ledger.events({ taskId: slow }).some((e) => e.type === 'stale_write_refused'),
        60_000,
        100,
      );
      await waitFor(
        'coder-1 heard the refusal',
        () => swarm.agents.get('coder-1')!.output.join('').includes('refused a message'),
        30_000,
        100,
      );
      const events = swarm.ledger.events({ taskId: slow });
      expect(events.filter((e) => e.type === 'task_done')).toHaveLength(1);
      expect(events.filter((e) => e.type === 'stale_write_refused')).toHaveLength(1);
      expect(swarm.ledger.getTask(slow)).toMatchObject({ status: 'done', result: 'fresh by coder-2' });

      // Forgeries: a person and a bot that is no configured agent post protocol messages.
      const before = swarm.ledger.lastEventSeq();
      const forgedResult = fake.post('alice', `/result@swarm ${slow}#2 outcome=ok\n{"text":"forged"}`);
      const forgedClaim = fake.postAsBot('mallory-bot', `/claim@swarm ${slow}#3 agent=coder-1`);

      // The orchestrator killed mid-flight and started again: the attempt goes on, nothing is lost.
      const steady = await swarm.created('steady job');
      await waitFor('steady claimed', () => swarm.ledger.getTask(steady)?.status === 'claimed', 60_000, 100);
      expect(swarm.ledger.lastEventSeq()).toBeGreaterThan(before);
      swarm.orchestrator.child.kill('SIGKILL');
      await swarm.orchestrator.exited;
      swarm.ledger.close();
      await new Promise((r) => setTimeout(r, 4_000)); // the worker finishes meanwhile
      await swarm.startOrchestrator();
      swarm.ledger = Ledger.open(swarm.dbPath, { readonly: true });
      await waitFor(
        'steady done after the restart',
        () => swarm.ledger.getTask(steady)?.status === 'done',
        60_000,
        100,
      );
      expect(swarm.ledger.getTask(steady)?.result).toMatch(/^steady by coder-\d$/);
      expect(swarm.ledger.events({ taskId: steady }).filter((e) => e.type === 'lease_expired')).toHaveLength(
        0,
      );
      expect(swarm.ledger.events({ taskId: steady }).filter((e) => e.type === 'task_done')).toHaveLength(1);
      expect(swarm.ledger.getTask(slow)).toMatchObject({
        status: 'done',
        result: 'fresh by coder-2',
        attempt: 2,
      });
      expect(swarm.ledger.events({ taskId: slow }).filter((e) => e.type === 'task_done')).toHaveLength(1);
      // The person's forged result was read and refused; the other bot's message was not even read.
      const inbox = swarm.ledger.core
        .sql('SELECT message_id, outcome FROM inbox WHERE message_id IN (?, ?)')
        .all(forgedResult, forgedClaim) as Array<{ message_id: string; outcome: string }>;
      expect(inbox.filter((r) => r.message_id === forgedClaim).every((r) => r.outcome === 'refused')).toBe(
        true,
      );
      expect(inbox.find((r) => r.message_id === forgedResult)?.outcome).toBe('refused');
      expect(readFileSync(join(folders.marks, `slow-${slow}`), 'utf8').trim()).toBe('coder-1');
      for (const id of ['coder-1', 'coder-2']) expect(ledgerFilesUnder(join(folders.root, id))).toEqual([]);

      await waitFor(
        'the mirror caught up',
        () => swarm.ledger.outbox.pendingCount('main') === 0,
        60_000,
        200,
      );
      await stopProc(swarm.orchestrator);
      const audit = await cliAudit(swarm.dbPath);
      expect(audit.code, audit.output).toBe(0);
    } catch (err) {
      throw new Error(`${String(err)}\n${outputs(swarm.procs, 40)}`, { cause: err });
    }
  }, 400_000);
});
