/**
 * Remote agents on the fake Discord, every party in its own process: the orchestrator (`up`) and
 * three remote agents (`agent --remote`), each with its own folder and bot, the agents with no
 * ledger. People act through the fake; the test reads the orchestrator's ledger read-only.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Ledger } from '../../../src/ledger/ledger.ts';
import { cliAudit } from '../../support/expect-audit.ts';
import { tempDir } from '../../support/temp-ledger.ts';
import { waitFor } from '../../support/wait-for.ts';
import { startFakeDiscord, type FakeDiscord } from '../../fakes/discord/fake-discord-server.ts';
import {
  ledgerFilesUnder,
  outputs,
  prepareFolders,
  startCli,
  stopProc,
  writeConfig,
  type Proc,
  type RemoteFolders,
} from './remote-fixture.ts';

const AGENTS = ['coder-1', 'coder-2', 'coder-3'] as const;
const TOKEN = (name: string): string => `${name}-token-for-the-fake-discord-0123456789`;
const LEASE_MS = 6_000;

let fake: FakeDiscord;
let folders: RemoteFolders;
let ledger: Ledger;
let dbPath: string;
let orchestrator: Proc;
const agents = new Map<string, Proc>();
const procs: Proc[] = [];

function agentConfig(id: string): string {
  const dir = join(folders.root, id);
  return writeConfig(join(dir, 'agent.json'), {
    workDir: join(dir, 'work'),
    channel: {
      platform: 'discord',
      channelId: fake.channelId,
      apiBase: fake.apiBase,
      tokenEnv: 'AGENT_BOT_TOKEN',
    },
    agents: [{ id, skills: ['code'], command: folders.worker, env: { SWARM_TEST_MARKS: folders.marks } }],
    remote: { orchestrator: { botUserId: fake.bot('orchestrator').id }, messagesPerMinute: 120 },
    checkpointIntervalMs: 0,
  });
}

function startAgent(id: string): Proc {
  const p = startCli(id, ['agent', id, '--remote', '--config', agentConfig(id)], {
    AGENT_BOT_TOKEN: TOKEN(id),
  });
  agents.set(id, p);
  procs.push(p);
  return p;
}

beforeAll(async () => {
  fake = await startFakeDiscord({
    bots: [
      { name: 'orchestrator', token: TOKEN('orchestrator') },
      ...AGENTS.map((id) => ({ name: id, token: TOKEN(id) })),
    ],
    users: [{ name: 'alice', roles: ['swarm-admins'] }, { name: 'mallory' }],
    roles: [{ name: 'swarm-admins', permissions: 0n }],
    heartbeatIntervalMs: 5_000,
  });
  folders = prepareFolders(tempDir('swarm-remote-discord-'));
  dbPath = join(folders.root, 'orchestrator', 'swarm.db');
  const config = writeConfig(join(folders.root, 'orchestrator', 'swarm.json'), {
    db: dbPath,
    workDir: join(folders.root, 'orchestrator', 'work'),
    channel: {
      platform: 'discord',
      channelId: fake.channelId,
      apiBase: fake.apiBase,
      admins: { roleIds: [fake.role('swarm-admins').id] },
    },
    ledger: { leaseMs: LEASE_MS, retryBaseMs: 200 },
    remote: {
      agents: AGENTS.map((id) => ({ id, botUserId: fake.bot(id).id })),
      offerFanout: 2,
      offerTimeoutMs: 4_000,
      messagesPerMinute: 120,
    },
    checkpointIntervalMs: 0,
  });
  orchestrator = startCli('orchestrator', ['up', '--config', config], {
    DISCORD_BOT_TOKEN: TOKEN('orchestrator'),
  });
  procs.push(orchestrator);
  await waitFor(
    'the orchestrator listening',
    () => orchestrator.output.join('').includes('swarm up'),
    60_000,
    100,
  );
  ledger = Ledger.open(dbPath, { readonly: true });
  for (const id of AGENTS) startAgent(id);
  await waitFor(
    'three remote agents said hello',
    () => ledger.listAgents().filter((a) => a.status === 'active').length === 3,
    60_000,
    100,
  ).catch((err: unknown) => {
    throw new Error(`${String(err)}\n${outputs(procs)}`);
  });
}, 120_000);

afterAll(async () => {
  ledger?.close();
  await Promise.all(procs.map((p) => stopProc(p)));
  await fake?.close();
});

function task(id: string) {
  return ledger.getTask(id);
}

async function created(title: string): Promise<string> {
  fake.post('alice', `/task ${title} skills=code`);
  const t = await waitFor(
    `task '${title}'`,
    () => ledger.listTasks().find((x) => x.title === title),
    20_000,
    50,
  );
  return t.id;
}

describe('remote agents on Discord, in separate processes', () => {
  it('do a task, ask a person, stop on cancel, redo a rejected review, race for one grant, and survive a kill -9', async () => {
    try {
      const plain = await created('plain job');
      const ask = await created('ask about tone');
      const long = await created('long job');

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
      await stopProc(orchestrator);
      const audit = await cliAudit(dbPath);
      expect(audit.code, audit.output).toBe(0);
    } catch (err) {
      throw new Error(`${String(err)}\n${outputs(procs)}`, { cause: err });
    }
  }, 300_000);
});
