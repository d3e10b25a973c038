/**
 * A remote-agent swarm on the fake Telegram, each party its own process (remote-party.ts): the
 * orchestrator's bot an admin without Bot-to-Bot Communication Mode, the agents' bots plain members
 * with the mode on. Telegram's limits run `SCALE` times faster in the fake, the adapters and the
 * poster. An agent can be started behind a proxy that the test cuts, as a network outage on its host.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Ledger } from '../../../src/ledger/ledger.ts';
import { FakeTelegramServer } from '../../fakes/telegram/fake-telegram-server.ts';
import type { FakeAccount, FakeChat } from '../../fakes/telegram/fake-telegram-world.ts';
import type { PartySpec } from '../../support/processes/remote-party.ts';
import { spawnTs } from '../../support/spawn-ts.ts';
import { waitFor } from '../../support/wait-for.ts';
import { scaledTelegramLimits } from '../telegram/scaled-telegram-limits.ts';
import { startCutProxy, type CutProxy } from './cut-proxy.ts';
import { outputs, prepareFolders, stopProc, type Proc, type RemoteFolders } from './remote-fixture.ts';

export const SCALE = 10;
export const LEASE_MS = 6_000;

export interface TelegramRemoteSwarm {
  fake: FakeTelegramServer;
  chat: FakeChat;
  alice: FakeAccount;
  orchBot: FakeAccount;
  bots: Map<string, FakeAccount>;
  folders: RemoteFolders;
  dbPath: string;
  /** The orchestrator's ledger, read-only. */
  ledger: Ledger;
  orchestrator: Proc;
  agents: Map<string, Proc>;
  procs: Proc[];
  startOrchestrator(): Promise<Proc>;
  startAgent(id: string, options?: { proxy?: CutProxy }): Proc;
  proxy(): Promise<CutProxy>;
  /** Waits until `n` agents are registered and active. */
  agentsActive(n: number): Promise<void>;
  say(text: string): void;
  close(): Promise<void>;
}

export async function startTelegramRemoteSwarm(
  root: string,
  agentIds: string[],
): Promise<TelegramRemoteSwarm> {
  const fake = await FakeTelegramServer.start({ flood: scaledTelegramLimits(SCALE) });
  const orchBot = fake.addBot('swarm_bot');
  const bots = new Map<string, FakeAccount>();
  for (const id of agentIds) bots.set(id, fake.addBot(`${id.replace(/-/g, '')}_bot`, { botToBot: true }));
  const alice = fake.addUser('Alice', 'alice');
  const chat = fake.createChat('Swarm', {
    members: [alice, { account: orchBot, status: 'administrator' }, ...bots.values()],
  });
  const folders = prepareFolders(root);
  const dbPath = join(root, 'orchestrator', 'swarm.db');
  mkdirSync(join(root, 'orchestrator'), { recursive: true });
  const procs: Proc[] = [];
  const proxies: CutProxy[] = [];
  const agents = new Map<string, Proc>();

  const party = (name: string, spec: PartySpec): Proc => {
    const child = spawnTs('test/support/processes/remote-party.ts', [JSON.stringify(spec)]);
    const output: string[] = [];
    child.stdout?.on('data', (d: Buffer) => output.push(d.toString()));
    child.stderr?.on('data', (d: Buffer) => output.push(d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const p = { name, child, output, exited };
    procs.push(p);
    return p;
  };
  const handleOf = (id: string): string => bots.get(id)!.username!;

  const swarm: TelegramRemoteSwarm = {
    fake,
    chat,
    alice,
    orchBot,
    bots,
    folders,
    dbPath,
    ledger: undefined as unknown as Ledger,
    orchestrator: undefined as unknown as Proc,
    agents,
    procs,
    async startOrchestrator() {
      const p = party('orchestrator', {
        role: 'orchestrator',
        platform: 'telegram',
        api: fake.apiRoot,
        chat: String(chat.id),
        token: orchBot.token!,
        scale: SCALE,
        workDir: join(root, 'orchestrator', 'work'),
        dbPath,
        leaseMs: LEASE_MS,
        adminUserIds: [String(alice.id)],
        agents: agentIds.map((id) => ({ id, botUserId: String(bots.get(id)!.id), handle: handleOf(id) })),
        arbiter: { offerFanout: 2, offerTimeoutMs: 4_000, messagesPerMinute: 120 },
      });
      swarm.orchestrator = p;
      await waitFor('the orchestrator', () => p.output.join('').includes('party ready'), 60_000, 100).catch(
        (err: unknown) => {
          throw new Error(`${String(err)}\n${outputs(procs)}`);
        },
      );
      return p;
    },
    startAgent(id, options = {}) {
      const p = party(id, {
        role: 'agent',
        platform: 'telegram',
        api: options.proxy?.url ?? fake.apiRoot,
        chat: String(chat.id),
        token: bots.get(id)!.token!,
        scale: SCALE,
        workDir: join(root, id),
        agent: {
          id,
          handle: handleOf(id),
          skills: ['code'],
          capacity: 1,
          command: folders.worker,
          env: { SWARM_TEST_MARKS: folders.marks },
        },
        orchestrator: { botUserId: String(orchBot.id), handle: 'swarm_bot' },
        remoteAgent: { messagesPerMinute: 120, resultResendMs: 2_000 },
      });
      agents.set(id, p);
      return p;
    },
    async proxy() {
      const p = await startCutProxy(fake.apiRoot);
      proxies.push(p);
      return p;
    },
    async agentsActive(n) {
      await waitFor(
        `${n} remote agents said hello`,
        () => swarm.ledger.listAgents().filter((a) => a.status === 'active').length >= n,
        60_000,
        100,
      ).catch((err: unknown) => {
        throw new Error(`${String(err)}\n${outputs(procs)}`);
      });
    },
    say(text) {
      fake.postAsUser(chat.id, alice.id, text);
    },
    async close() {
      swarm.ledger?.close();
      await Promise.all(procs.map((p) => stopProc(p)));
      for (const p of proxies) await p.close();
      await fake.close();
    },
  };
  await swarm.startOrchestrator();
  swarm.ledger = Ledger.open(dbPath, { readonly: true });
  return swarm;
}
