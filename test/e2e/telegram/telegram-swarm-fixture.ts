/**
 * A whole swarm on the fake Telegram: one supergroup with the orchestrator's bot (admin), three agent
 * bots (one per agent, passed as `agentTokens`), Alice, the swarm's admin, and Bob, who is not one. The ledger is a real
 * file so the CLI's `audit` and a restarted orchestrator can open it. Rate windows are Telegram's
 * divided by `timeScale`, the same for the fake, the adapter and the poster.
 */
import { join } from 'node:path';
import {
  createTelegramChannel,
  type TelegramChannel,
  type TelegramChannelOptions,
} from '../../../adapters/telegram/telegram-channel.ts';
import { AgentRuntime } from '../../../src/agents/agent-runtime.ts';
import { createFunctionWorker, type WorkerFunction } from '../../../src/agents/function-worker.ts';
import { Ledger } from '../../../src/ledger/ledger.ts';
import { Orchestrator } from '../../../src/orchestrator/orchestrator.ts';
import type { PosterOptions } from '../../../src/orchestrator/poster-options.ts';
import { createCapturingLogger, type CapturingLogger } from '../../adapters/telegram/telegram-fixture.ts';
import { FakeTelegramServer } from '../../fakes/telegram/fake-telegram-server.ts';
import type { FakeAccount, FakeChat, StoredMessage } from '../../fakes/telegram/fake-telegram-world.ts';
import type { TranscriptLine } from '../../fakes/telegram/transcript.ts';
import { tempDir } from '../../support/temp-ledger.ts';
import { scaledTelegramLimits, scaledTelegramPacing } from './scaled-telegram-limits.ts';
import { cliAudit } from '../../support/expect-audit.ts';

/** Agent id → the username of its own bot. */
export const AGENT_BOTS = {
  'coder-001': 'coder_bot',
  'writer-001': 'writer_bot',
  'reviewer-001': 'reviewer_bot',
} as const;
export type AgentId = keyof typeof AGENT_BOTS;

/** A running orchestrator and the Telegram channel it owns. */
export interface RunningOrchestrator {
  orchestrator: Orchestrator;
  port: TelegramChannel;
  stop(): Promise<void>;
}

export interface TelegramSwarmFixture {
  fake: FakeTelegramServer;
  chat: FakeChat;
  orchestratorBot: FakeAccount;
  alice: FakeAccount;
  /** A member of the group who is not a swarm admin. */
  bob: FakeAccount;
  dbPath: string;
  ledger: Ledger;
  log: CapturingLogger;
  limits: ReturnType<typeof scaledTelegramLimits>;
  pacing: Partial<PosterOptions>;
  /** Starts an orchestrator on the ledger with a fresh Telegram channel. */
  startOrchestrator(overrides?: {
    poster?: Partial<PosterOptions>;
    channel?: Partial<TelegramChannelOptions>;
  }): Promise<RunningOrchestrator>;
  startAgent(id: AgentId, skills: string[], fn: WorkerFunction, capacity?: number): AgentRuntime;
  /** Alice types `text` (optionally as a reply) in the group. */
  say(text: string, replyTo?: number): StoredMessage;
  /** Bob types `text` (optionally as a reply) in the group. */
  bobSays(text: string, replyTo?: number): StoredMessage;
  /** The chat without service messages. */
  lines(): TranscriptLine[];
  /** Everything people can read in the chat: every text and every earlier version of edited ones. */
  visibleText(): string;
  /** Closes the ledger and opens the same file again, as a restarted process would. */
  reopenLedger(): Ledger;
  /** `chat-swarm audit --db <file>` in-process; its exit code. */
  cliAudit(): Promise<number>;
  close(): Promise<void>;
}

export async function createTelegramSwarmFixture(setup: {
  timeScale: number;
  ledgerOptions?: Parameters<typeof Ledger.open>[1];
}): Promise<TelegramSwarmFixture> {
  const limits = scaledTelegramLimits(setup.timeScale);
  const pacing = scaledTelegramPacing(setup.timeScale);
  const fake = await FakeTelegramServer.start({ flood: limits });
  const orchestratorBot = fake.addBot('swarm_bot', { firstName: 'Swarm' });
  const agentBots = Object.fromEntries(
    Object.entries(AGENT_BOTS).map(([id, username]) => [id, fake.addBot(username, { firstName: id })]),
  ) as Record<AgentId, FakeAccount>;
  const alice = fake.addUser('Alice', 'alice');
  const bob = fake.addUser('Bob', 'bob');
  const chat = fake.createChat('Swarm room', {
    members: [alice, { account: orchestratorBot, status: 'administrator' }, ...Object.values(agentBots), bob],
  });
  const dbPath = join(tempDir('swarm-tg-e2e-'), 'swarm.db');
  const openLedger = (): Ledger =>
    Ledger.open(dbPath, { synchronous: 'normal', retryBaseMs: 100, ...setup.ledgerOptions });
  let ledger = openLedger();
  const log = createCapturingLogger();
  const stops: (() => Promise<void>)[] = [];

  const fx: TelegramSwarmFixture = {
    fake,
    chat,
    orchestratorBot,
    alice,
    bob,
    dbPath,
    get ledger() {
      return ledger;
    },
    log,
    limits,
    pacing,
    async startOrchestrator(overrides = {}) {
      const port = createTelegramChannel(
        {
          token: orchestratorBot.token!,
          chatId: chat.id,
          apiRoot: fake.apiRoot,
          agentTokens: Object.fromEntries(Object.entries(agentBots).map(([id, bot]) => [id, bot.token!])),
          rateLimits: limits,
          polling: { timeoutSeconds: 5, retryMinMs: 50, retryMaxMs: 500, conflictRetryMs: 300 },
          ...overrides.channel,
        },
        { log },
      );
      const orchestrator = new Orchestrator({
        ledger,
        port,
        channel: 'main',
        admins: { userIds: [String(alice.id)], roleIds: [], everyone: false },
        log,
        poster: { ...pacing, maxRetryDelayMs: 1_000, ...overrides.poster },
      });
      await orchestrator.start();
      let stopped = false;
      const stop = async (): Promise<void> => {
        if (stopped) return;
        stopped = true;
        await orchestrator.stop();
      };
      stops.push(stop);
      return { orchestrator, port, stop };
    },
    startAgent(id, skills, fn, capacity = 1) {
      const agent = new AgentRuntime(ledger, {
        id,
        skills,
        capacity,
        worker: createFunctionWorker(fn),
        workRoot: tempDir('swarm-tg-work-'),
        log,
      });
      agent.start();
      stops.push(() => agent.stop());
      return agent;
    },
    say(text, replyTo) {
      return fake.postAsUser(chat.id, alice.id, text, replyTo === undefined ? {} : { replyTo });
    },
    bobSays(text, replyTo) {
      return fake.postAsUser(chat.id, bob.id, text, replyTo === undefined ? {} : { replyTo });
    },
    lines() {
      return fake.transcript(chat.id).filter((l) => l.service === undefined);
    },
    visibleText() {
      return fx
        .lines()
        .flatMap((l) => [l.text, ...l.edits])
        .join('\n');
    },
    reopenLedger() {
      ledger.close();
      ledger = openLedger();
      return ledger;
    },
    async cliAudit() {
      const { code, output } = await cliAudit(dbPath);
      if (code !== 0) log.error('cli audit failed', { output });
      return code;
    },
    async close() {
      while (stops.length) await stops.pop()!();
      ledger.close();
      await fake.close();
    },
  };
  return fx;
}
