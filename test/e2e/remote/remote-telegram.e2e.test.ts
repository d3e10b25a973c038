/**
 * Remote agents on the fake Telegram, each party in its own process. The agents' bots have
 * Bot-to-Bot Communication Mode on and are plain members with privacy mode on; the orchestrator's
 * bot is an admin without the mode. So every protocol message must reach its bot by `/verb@bot`,
 * as the documented rules allow when one of the two has the mode. Telegram's limits run 10× faster.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Ledger } from '../../../src/ledger/ledger.ts';
import { FakeTelegramServer } from '../../fakes/telegram/fake-telegram-server.ts';
import type { FakeAccount, FakeChat } from '../../fakes/telegram/fake-telegram-world.ts';
import { cliAudit } from '../../support/expect-audit.ts';
import type { PartySpec } from '../../support/processes/remote-party.ts';
import { spawnTs } from '../../support/spawn-ts.ts';
import { tempDir } from '../../support/temp-ledger.ts';
import { waitFor } from '../../support/wait-for.ts';
import { scaledTelegramLimits } from '../telegram/scaled-telegram-limits.ts';
import {
  ledgerFilesUnder,
  outputs,
  prepareFolders,
  stopProc,
  type Proc,
  type RemoteFolders,
} from './remote-fixture.ts';

const SCALE = 10;
const AGENTS = { 'coder-1': 'coder1_bot', 'coder-2': 'coder2_bot', 'coder-3': 'coder3_bot' } as const;
type AgentId = keyof typeof AGENTS;
const LEASE_MS = 6_000;

let fake: FakeTelegramServer;
let chat: FakeChat;
let orchBot: FakeAccount;
let alice: FakeAccount;
const bots = new Map<AgentId, FakeAccount>();
let folders: RemoteFolders;
let ledger: Ledger;
let dbPath: string;
let orchestrator: Proc;
const agents = new Map<string, Proc>();
const procs: Proc[] = [];

function startParty(name: string, spec: PartySpec): Proc {
  const child = spawnTs('test/support/processes/remote-party.ts', [JSON.stringify(spec)]);
  const output: string[] = [];
  child.stdout?.on('data', (d: Buffer) => output.push(d.toString()));
  child.stderr?.on('data', (d: Buffer) => output.push(d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const p = { name, child, output, exited };
  procs.push(p);
  return p;
}

function orchestratorSpec(): PartySpec {
  return {
    role: 'orchestrator',
    platform: 'telegram',
    api: fake.apiRoot,
    chat: String(chat.id),
    token: orchBot.token!,
    scale: SCALE,
    workDir: join(folders.root, 'orchestrator', 'work'),
    dbPath,
    leaseMs: LEASE_MS,
    adminUserIds: [String(alice.id)],
    agents: (Object.keys(AGENTS) as AgentId[]).map((id) => ({
      id,
      botUserId: String(bots.get(id)!.id),
      handle: AGENTS[id],
    })),
    arbiter: { offerFanout: 2, offerTimeoutMs: 4_000, messagesPerMinute: 120 },
  };
}

function startAgent(id: AgentId): Proc {
  const p = startParty(id, {
    role: 'agent',
    platform: 'telegram',
    api: fake.apiRoot,
    chat: String(chat.id),
    token: bots.get(id)!.token!,
    scale: SCALE,
    workDir: join(folders.root, id),
    agent: {
      id,
      handle: AGENTS[id],
      skills: ['code'],
      capacity: 1,
      command: folders.worker,
      env: { SWARM_TEST_MARKS: folders.marks },
    },
    orchestrator: { botUserId: String(orchBot.id), handle: 'swarm_bot' },
    remoteAgent: { messagesPerMinute: 120 },
  });
  agents.set(id, p);
  return p;
}

beforeAll(async () => {
  fake = await FakeTelegramServer.start({ flood: scaledTelegramLimits(SCALE) });
  orchBot = fake.addBot('swarm_bot');
  for (const [id, name] of Object.entries(AGENTS))
    bots.set(id as AgentId, fake.addBot(name, { botToBot: true }));
  alice = fake.addUser('Alice', 'alice');
  chat = fake.createChat('Swarm', {
    members: [alice, { account: orchBot, status: 'administrator' }, ...bots.values()],
  });
  folders = prepareFolders(tempDir('swarm-remote-telegram-'));
  dbPath = join(folders.root, 'orchestrator', 'swarm.db');
  mkdirSync(join(folders.root, 'orchestrator'), { recursive: true });
  orchestrator = startParty('orchestrator', orchestratorSpec());
  await waitFor(
    'the orchestrator',
    () => orchestrator.output.join('').includes('party ready'),
    60_000,
    100,
  ).catch((err: unknown) => {
    throw new Error(`${String(err)}\n${outputs(procs)}`);
  });
  ledger = Ledger.open(dbPath, { readonly: true });
  for (const id of Object.keys(AGENTS) as AgentId[]) startAgent(id);
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

const task = (id: string) => ledger.getTask(id);

async function created(title: string): Promise<string> {
  fake.postAsUser(chat.id, alice.id, `/task ${title} skills=code`);
  const t = await waitFor(
    `task '${title}'`,
    () => ledger.listTasks().find((x) => x.title === title),
    20_000,
    50,
  );
  return t.id;
}

describe('remote agents on Telegram (Bot-to-Bot Communication Mode), in separate processes', () => {
  it('do a task, ask a person, stop on cancel, race for one grant, and survive a kill -9', async () => {
    try {
      const plain = await created('plain job');
      const ask = await created('ask about tone');
      const long = await created('long job');
      await waitFor('the question', () => task(ask)?.status === 'blocked', 60_000, 100);
      fake.postAsUser(chat.id, alice.id, `/answer ${ask} formal`);
      await waitFor('long job running', () => task(long)?.progressPct === 10, 60_000, 100);
      fake.postAsUser(chat.id, alice.id, `/cancel ${long}`);
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
      expect(task(crash)?.result).not.toContain(victim);

      // Every protocol message reached its bot by name; each attempt was granted once.
      const texts = fake.transcript(chat.id).map((l) => l.text);
      const grants = texts.filter((t) => t.startsWith('/grant@')).map((t) => t.split(' ')[1]);
      expect(grants.length).toBeGreaterThanOrEqual(4);
      expect(new Set(grants).size).toBe(grants.length);
      expect(texts.some((t) => t.startsWith('/taken@'))).toBe(true);
      for (const id of Object.keys(AGENTS)) expect(ledgerFilesUnder(join(folders.root, id))).toEqual([]);
      expect(fake.stats().tooManyRequests).toBe(0);

      await waitFor('the mirror caught up', () => ledger.outbox.pendingCount('main') === 0, 60_000, 200);
      await stopProc(orchestrator);
      const audit = await cliAudit(dbPath);
      expect(audit.code, audit.output).toBe(0);
    } catch (err) {
      throw new Error(`${String(err)}\n${outputs(procs)}`, { cause: err });
    }
  }, 300_000);
});
