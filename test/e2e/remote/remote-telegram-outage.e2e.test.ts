/**
 * Outages on the fake Telegram, every party in its own process: an agent cut off from the platform
 * mid-task finishes anyway and delivers its result late, after the task was given to another agent:
 * refused once, nothing recorded twice. The orchestrator killed mid-flight and started again loses
 * nothing. A person and a bot that is not a configured agent posting protocol messages change nothing.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Ledger } from '../../../src/ledger/ledger.ts';
import { cliAudit } from '../../support/expect-audit.ts';
import { tempDir } from '../../support/temp-ledger.ts';
import { waitFor } from '../../support/wait-for.ts';
import { outputs, stopProc } from './remote-fixture.ts';
import { startTelegramRemoteSwarm, type TelegramRemoteSwarm } from './telegram-remote-swarm.ts';

let swarm: TelegramRemoteSwarm;

beforeAll(async () => {
  swarm = await startTelegramRemoteSwarm(tempDir('swarm-remote-outage-'), ['coder-1', 'coder-2']);
}, 120_000);

afterAll(async () => {
  await swarm?.close();
});

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

describe('remote agents through outages (Telegram, separate processes)', () => {
  it('refuse a late result once, survive an orchestrator restart, and ignore forgeries', async () => {
    const { folders } = swarm;
    try {
      // coder-1 alone, behind a proxy the test cuts.
      const proxy = await swarm.proxy();
      swarm.startAgent('coder-1', { proxy });
      await swarm.agentsActive(1);
      const slow = await created('slow job');
      await waitFor('coder-1 working', () => existsSync(join(folders.marks, `slow-${slow}`)), 60_000, 100);
      proxy.cut();
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
      await new Promise((r) => setTimeout(r, 1_000));
      proxy.restore();
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

      // Forgeries: a person and an unconfigured bot (with the mode on) post protocol messages.
      const before = swarm.ledger.lastEventSeq();
      const mallory = swarm.fake.addBot('mallory_bot', { botToBot: true });
      swarm.chat.members.set(mallory.id, 'member');
      swarm.say(`/result@swarm_bot ${slow}#2 outcome=ok\n{"text":"forged"}`);
      swarm.fake.postAsBot(swarm.chat.id, mallory.id, `/claim@swarm_bot ${slow}#3 agent=coder-1`);

      // The orchestrator killed mid-flight and started again: the attempt goes on, nothing is lost.
      const steady = await created('steady job');
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
      expect(swarm.ledger.getTask(slow)).toMatchObject({
        status: 'done',
        result: 'fresh by coder-2',
        attempt: 2,
      });
      const inbox = swarm.ledger.core
        .sql("SELECT outcome FROM inbox WHERE author_id = ? OR text LIKE '%forged%'")
        .all(String(swarm.alice.id)) as Array<{ outcome: string }>;
      expect(inbox.some((r) => r.outcome === 'refused')).toBe(true);
      expect(readFileSync(join(folders.marks, `slow-${slow}`), 'utf8').trim()).toBe('coder-1');

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
  }, 300_000);
});
