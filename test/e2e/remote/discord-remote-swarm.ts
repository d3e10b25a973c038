/**
 * A remote-agent swarm on the fake Discord, every party a CLI process: the orchestrator
 * (`chat-swarm up`, with the ledger) and remote agents (`chat-swarm agent <id> --remote`), each with
 * its own config, folder and bot, none with a ledger. The fake runs in the test, so a test can cut
 * one agent's bot off the platform (`fake.cutOffBot`) as an outage on that agent's host.
 */
import { join } from 'node:path';
import { Ledger } from '../../../src/ledger/ledger.ts';
import { startFakeDiscord, type FakeDiscord } from '../../fakes/discord/fake-discord-server.ts';
import { waitFor } from '../../support/wait-for.ts';
import {
  outputs,
  prepareFolders,
  startCli,
  stopProc,
  writeConfig,
  type Proc,
  type RemoteFolders,
} from './remote-fixture.ts';

export const LEASE_MS = 6_000;
/** A variable the agents' configs pass to their workers (`passEnv`). */
export const PASSED_ENV = 'SWARM_TEST_PASSED';
const TOKEN = (name: string): string => `${name}-token-for-the-fake-discord-0123456789`;

export interface DiscordRemoteSwarm {
  fake: FakeDiscord;
  folders: RemoteFolders;
  dbPath: string;
  /** The orchestrator's ledger, read-only (reopen it after a restart). */
  ledger: Ledger;
  orchestrator: Proc;
  agents: Map<string, Proc>;
  procs: Proc[];
  startOrchestrator(): Promise<Proc>;
  startAgent(id: string): Proc;
  /** Waits until `n` remote agents are registered and active. */
  agentsActive(n: number): Promise<void>;
  /** Creates a task as alice and returns its id. */
  created(title: string): Promise<string>;
  close(): Promise<void>;
}

/**
 * Starts the fake (the orchestrator's bot, one bot per agent id, `mallory-bot` that is no agent,
 * alice the admin) and the orchestrator; agents are started by the test.
 */
export async function startDiscordRemoteSwarm(root: string, agentIds: string[]): Promise<DiscordRemoteSwarm> {
  const fake = await startFakeDiscord({
    bots: [
      { name: 'orchestrator', token: TOKEN('orchestrator') },
      ...agentIds.map((id) => ({ name: id, token: TOKEN(id) })),
      { name: 'mallory-bot', token: TOKEN('mallory-bot') },
    ],
    users: [{ name: 'alice', roles: ['swarm-admins'] }],
    roles: [{ name: 'swarm-admins', permissions: 0n }],
    heartbeatIntervalMs: 5_000,
  });
  const folders = prepareFolders(root);
  const dbPath = join(root, 'orchestrator', 'swarm.db');
  const orchestratorConfig = writeConfig(join(root, 'orchestrator', 'swarm.json'), {
    db: dbPath,
    workDir: join(root, 'orchestrator', 'work'),
    channel: {
      platform: 'discord',
      channelId: fake.channelId,
      apiBase: fake.apiBase,
      admins: { roleIds: [fake.role('swarm-admins').id] },
    },
    ledger: { leaseMs: LEASE_MS, retryBaseMs: 200 },
    remote: {
      agents: agentIds.map((id) => ({ id, botUserId: fake.bot(id).id })),
      offerFanout: 2,
      offerTimeoutMs: 4_000,
      messagesPerMinute: 120,
    },
    checkpointIntervalMs: 0,
  });
  const procs: Proc[] = [];
  const agents = new Map<string, Proc>();

  const agentConfig = (id: string): string => {
    const dir = join(root, id);
    return writeConfig(join(dir, 'agent.json'), {
      workDir: join(dir, 'work'),
      channel: {
        platform: 'discord',
        channelId: fake.channelId,
        apiBase: fake.apiBase,
        tokenEnv: 'AGENT_BOT_TOKEN',
      },
      agents: [
        {
          id,
          skills: ['code'],
          command: folders.worker,
          env: { SWARM_TEST_MARKS: folders.marks },
          passEnv: [PASSED_ENV],
        },
      ],
      remote: { orchestrator: { botUserId: fake.bot('orchestrator').id }, messagesPerMinute: 120 },
      checkpointIntervalMs: 0,
    });
  };

  const swarm: DiscordRemoteSwarm = {
    fake,
    folders,
    dbPath,
    ledger: undefined as unknown as Ledger,
    orchestrator: undefined as unknown as Proc,
    agents,
    procs,
    async startOrchestrator() {
      const p = startCli('orchestrator', ['up', '--config', orchestratorConfig], {
        DISCORD_BOT_TOKEN: TOKEN('orchestrator'),
      });
      procs.push(p);
      swarm.orchestrator = p;
      await waitFor(
        'the orchestrator listening',
        () => p.output.join('').includes('swarm up'),
        60_000,
        100,
      ).catch((err: unknown) => {
        throw new Error(`${String(err)}\n${outputs(procs)}`);
      });
      return p;
    },
    startAgent(id) {
      const p = startCli(id, ['agent', id, '--remote', '--config', agentConfig(id)], {
        AGENT_BOT_TOKEN: TOKEN(id),
        [PASSED_ENV]: `passed to ${id}`,
      });
      agents.set(id, p);
      procs.push(p);
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
    async created(title) {
      fake.post('alice', `/task ${title} skills=code`);
      const t = await waitFor(
        `task '${title}'`,
        () => swarm.ledger.listTasks().find((x) => x.title === title),
        20_000,
        50,
      );
      return t.id;
    },
    async close() {
      swarm.ledger?.close();
      await Promise.all(procs.map((p) => stopProc(p)));
      await fake.close();
    },
  };
  await swarm.startOrchestrator();
  swarm.ledger = Ledger.open(dbPath, { readonly: true });
  return swarm;
}

/** The bot token an agent's process holds (the tests check it never reaches a worker). */
export function agentToken(id: string): string {
  return TOKEN(id);
}
