/**
 * A whole swarm on the fake Discord server for the end-to-end tests: the orchestrator's discord.js
 * client (the only gateway connection), agents posting with their own bot tokens over REST, people
 * with an admin role, and rate limits scaled down in time, the same way for the fake, the adapter's
 * pacing and the poster, so a test sees Discord's behaviour five times faster.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createDiscordChannel,
  type DiscordChannelOptions,
} from '../../../adapters/discord/discord-channel.ts';
import { DEFAULT_DISCORD_RATES, type DiscordRateOptions } from '../../../adapters/discord/discord-limiter.ts';
import { AgentRuntime } from '../../../src/agents/agent-runtime.ts';
import { createFunctionWorker, type WorkerFunction } from '../../../src/agents/function-worker.ts';
import type { ChatPort } from '../../../src/chat/chat-port.ts';
import { ledgerCursorStore } from '../../../src/cli/ledger-cursors.ts';
import type { AdminPolicy } from '../../../src/commands/command-handler.ts';
import type { Logger } from '../../../src/core/logger.ts';
import type { Ledger } from '../../../src/ledger/ledger.ts';
import { Orchestrator } from '../../../src/orchestrator/orchestrator.ts';
import { PLATFORM_PACING, type PosterOptions } from '../../../src/orchestrator/poster-options.ts';
import { startFakeDiscord, type FakeDiscord } from '../../fakes/discord/fake-discord-server.ts';
import { DEFAULT_RATE_LIMITS, type RateLimitSettings } from '../../fakes/discord/fake-rate-limits.ts';

/**
 * Every per-channel window is this many times shorter than Discord's (5 per 5 s becomes 5 per 1 s),
 * for the fake, the adapter's limiter and the poster alike, so the margins between them are the
 * real ones. The global 50 a second is left as it is: the swarm never comes near it.
 */
export const TIME_SCALE = 5;

/** Discord's (and chat-swarm's) per-channel limits with windows divided by `scale`. */
export function scaledLimits(scale: number): {
  fake: Partial<RateLimitSettings>;
  adapter: Partial<DiscordRateOptions>;
  poster: Partial<PosterOptions>;
} {
  const pacing = PLATFORM_PACING.discord ?? {};
  return {
    fake: {
      messages: {
        limit: DEFAULT_RATE_LIMITS.messages.limit,
        windowMs: DEFAULT_RATE_LIMITS.messages.windowMs / scale,
      },
    },
    adapter: {
      perChannel: DEFAULT_DISCORD_RATES.perChannel,
      perChannelWindowMs: DEFAULT_DISCORD_RATES.perChannelWindowMs / scale,
    },
    poster: {
      ...pacing,
      perWindowMs: Math.round((pacing.perWindowMs ?? 5_200) / scale),
      minIntervalMs: Math.round((pacing.minIntervalMs ?? 0) / scale),
    },
  };
}

/** Bot tokens in Discord's shape, so a leak would match the logger's redaction patterns. */
export const TOKENS = {
  orchestrator: 'MTExMTExMTExMTExMTExMTEx.Gs1abc.orchestrator-e2e-secret-value',
  'designer-001': 'MjIyMjIyMjIyMjIyMjIyMjIy.Gs1abd.designer-e2e-secret-value-x',
  'writer-002': 'MzMzMzMzMzMzMzMzMzMzMzMz.Gs1abe.writer-e2e-secret-value-xyz',
  'coder-003': 'NDQ0NDQ0NDQ0NDQ0NDQ0NDQ0.Gs1abf.coder-e2e-secret-value-xyzw',
} as const;

/** The agents of the scenario and the bot account each posts with. */
export const AGENT_BOTS = {
  'designer-001': 'designer-bot',
  'writer-002': 'writer-bot',
  'coder-003': 'coder-bot',
};
export type AgentId = keyof typeof AGENT_BOTS;

/** A fake server with the swarm's four bots, an admin (alice, by role) and a bystander (bob). */
export async function startSwarmFake(scale = TIME_SCALE): Promise<FakeDiscord> {
  return startFakeDiscord({
    bots: [
      { name: 'orchestrator', token: TOKENS.orchestrator },
      ...Object.entries(AGENT_BOTS).map(([id, name]) => ({ name, token: TOKENS[id as AgentId] })),
    ],
    users: [{ name: 'alice', roles: ['swarm-admins'] }, { name: 'bob' }],
    roles: [{ name: 'swarm-admins', permissions: 0n }],
    heartbeatIntervalMs: 1_000,
    rateLimits: scaledLimits(scale).fake,
  });
}

export interface SwarmOnDiscord {
  orchestrator: Orchestrator;
  port: ChatPort;
  /** Starts an in-process agent with a function worker; stopped by `stop`. */
  agent(id: string, skills: string[], fn: WorkerFunction, capacity?: number): AgentRuntime;
  /** Stops the agents, then the orchestrator (which disconnects from the fake); removes work folders. */
  stop(): Promise<void>;
}

/** Starts an orchestrator on `ledger` connected to `fake`, with scaled pacing and role-based admins. */
export async function startSwarmOnDiscord(
  fake: FakeDiscord,
  ledger: Ledger,
  log: Logger,
  options: { scale?: number; poster?: Partial<PosterOptions>; channel?: Partial<DiscordChannelOptions> } = {},
): Promise<SwarmOnDiscord> {
  const limits = scaledLimits(options.scale ?? TIME_SCALE);
  const adminRole = fake.role('swarm-admins').id;
  const port = createDiscordChannel(
    {
      token: TOKENS.orchestrator,
      channelId: fake.channelId,
      apiBase: fake.apiBase,
      agentTokens: {
        'designer-001': TOKENS['designer-001'],
        'writer-002': TOKENS['writer-002'],
        'coder-003': TOKENS['coder-003'],
      },
      adminRoleIds: [adminRole],
      rates: limits.adapter,
      ...options.channel,
    },
    { log, cursors: ledgerCursorStore(ledger, 'discord') },
  );
  const admins: AdminPolicy = { userIds: [], roleIds: [adminRole], everyone: false };
  const orchestrator = new Orchestrator({
    ledger,
    port,
    channel: 'main',
    admins,
    log,
    poster: { ...limits.poster, ...options.poster },
  });
  await orchestrator.start();
  const agents: AgentRuntime[] = [];
  // Made here rather than with the test helpers, so the benchmark can use this kit outside vitest.
  const workRoot = mkdtempSync(join(tmpdir(), 'swarm-discord-'));
  return {
    orchestrator,
    port,
    agent(id, skills, fn, capacity = 1) {
      const runtime = new AgentRuntime(ledger, {
        id,
        skills,
        capacity,
        worker: createFunctionWorker(fn),
        workRoot,
        log,
      });
      runtime.start();
      agents.push(runtime);
      return runtime;
    },
    async stop() {
      await Promise.all(agents.map((a) => a.stop()));
      await orchestrator.stop();
      rmSync(workRoot, { recursive: true, force: true });
    },
  };
}

/** Message content as a person reads it: markdown escapes resolved. */
export function unescaped(content: string): string {
  return content.replace(/\\(.)/g, '$1');
}

/** Every message of the channel and all its threads, with the container it is in. */
export function everyMessage(fake: FakeDiscord): Array<{ containerId: string; id: string; text: string }> {
  const containers = [fake.channelId, ...fake.threads(fake.channelId).map((t) => t.id)];
  return containers.flatMap((containerId) =>
    fake.transcript(containerId).map((m) => ({ containerId, id: m.id, text: unescaped(m.content) })),
  );
}
