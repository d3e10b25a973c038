/**
 * A fake supergroup for Telegram adapter tests: the orchestrator's bot (admin), an agent with its
 * own bot, a stranger bot and one person, with rate windows shrunk on both sides (fake and adapter)
 * so tests run fast while keeping the platform's shape.
 */
import {
  createTelegramChannel,
  type TelegramChannel,
  type TelegramChannelOptions,
} from '../../../adapters/telegram/telegram-channel.ts';
import type { Logger } from '../../../src/core/logger.ts';
import { FakeTelegramServer } from '../../fakes/telegram/fake-telegram-server.ts';
import type { FakeAccount, FakeChat } from '../../fakes/telegram/fake-telegram-world.ts';
import type { FloodLimits } from '../../fakes/telegram/flood-control.ts';

/** The platform's limits with time divided by 20: 1 per 50 ms per chat, 20 per 3 s per group, 30 per 50 ms. */
export const FAST_LIMITS = {
  perChat: { max: 1, windowMs: 50 },
  perGroup: { max: 20, windowMs: 3_000 },
  global: { max: 30, windowMs: 50 },
} as const satisfies FloodLimits;

/** Captures log lines so tests can assert what was logged (and that no token was). */
export interface CapturingLogger extends Logger {
  lines: Array<{ level: string; msg: string; fields?: Record<string, unknown> }>;
  text(): string;
}

export function createCapturingLogger(): CapturingLogger {
  const lines: CapturingLogger['lines'] = [];
  const at =
    (level: string) =>
    (msg: string, fields?: Record<string, unknown>): void => {
      lines.push(fields === undefined ? { level, msg } : { level, msg, fields });
    };
  return {
    lines,
    text: () => lines.map((l) => `${l.level} ${l.msg} ${JSON.stringify(l.fields ?? {})}`).join('\n'),
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
  };
}

export interface TelegramFixture {
  fake: FakeTelegramServer;
  orchestrator: FakeAccount;
  agentBot: FakeAccount;
  stranger: FakeAccount;
  alice: FakeAccount;
  chat: FakeChat;
  log: CapturingLogger;
  /** Options for a channel on this fixture (the agent `reviewer-001` has its own bot). */
  options(overrides?: Partial<TelegramChannelOptions>): TelegramChannelOptions;
  /** Creates a channel and remembers it for `close()`. */
  channel(overrides?: Partial<TelegramChannelOptions>): TelegramChannel;
  /** Stops every channel and the fake. */
  close(): Promise<void>;
}

export async function createTelegramFixture(
  setup: { orchestratorAdmin?: boolean; flood?: Partial<FloodLimits>; now?: () => number } = {},
): Promise<TelegramFixture> {
  const fake = await FakeTelegramServer.start({
    flood: setup.flood ?? FAST_LIMITS,
    ...(setup.now ? { now: setup.now } : {}),
  });
  const orchestrator = fake.addBot('swarm_bot', { firstName: 'Swarm' });
  const agentBot = fake.addBot('reviewer_bot', { firstName: 'Reviewer Bot' });
  const stranger = fake.addBot('stranger_bot', { firstName: 'Stranger' });
  const alice = fake.addUser('Alice', 'alice');
  const chat = fake.createChat('Swarm room', {
    members: [
      alice,
      setup.orchestratorAdmin === false ? orchestrator : { account: orchestrator, status: 'administrator' },
      agentBot,
      stranger,
    ],
  });
  const log = createCapturingLogger();
  const channels: TelegramChannel[] = [];
  const options = (overrides: Partial<TelegramChannelOptions> = {}): TelegramChannelOptions => ({
    token: orchestrator.token!,
    chatId: chat.id,
    apiRoot: fake.apiRoot,
    agentTokens: { 'reviewer-001': agentBot.token! },
    rateLimits: FAST_LIMITS,
    polling: { timeoutSeconds: 5, retryMinMs: 50, retryMaxMs: 200, conflictRetryMs: 300 },
    ...overrides,
  });
  return {
    fake,
    orchestrator,
    agentBot,
    stranger,
    alice,
    chat,
    log,
    options,
    channel(overrides) {
      const channel = createTelegramChannel(options(overrides), { log });
      channels.push(channel);
      return channel;
    },
    async close() {
      for (const channel of channels) await channel.stop();
      await fake.close();
    },
  };
}
