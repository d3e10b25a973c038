/**
 * One party of a remote-agent swarm in its own process, for tests and the benchmark: the
 * orchestrator (with its ledger) or a remote agent (no ledger, its own folder), on the fake Telegram
 * or the fake Discord, with the platform's limits divided by `scale` in the adapter and the poster
 * (the fakes are scaled the same way by the test). Argument: one JSON object (see `PartySpec`).
 * Stops cleanly on SIGTERM; logs go to stderr.
 */
import { createDiscordChannel } from '../../../adapters/discord/discord-channel.ts';
import { DEFAULT_DISCORD_RATES } from '../../../adapters/discord/discord-limiter.ts';
import { createTelegramChannel } from '../../../adapters/telegram/telegram-channel.ts';
import { DEFAULT_TELEGRAM_RATE_LIMITS } from '../../../adapters/telegram/telegram-rate-limiter.ts';
import { createShellWorker } from '../../../src/agents/shell-worker.ts';
import type { ChatPort } from '../../../src/chat/chat-port.ts';
import { ledgerCursorStore } from '../../../src/cli/ledger-cursors.ts';
import { createLogger } from '../../../src/core/logger.ts';
import { Ledger } from '../../../src/ledger/ledger.ts';
import { Orchestrator } from '../../../src/orchestrator/orchestrator.ts';
import { PLATFORM_PACING } from '../../../src/orchestrator/poster-options.ts';
import type { ArbiterSettings } from '../../../src/remote/remote-arbiter.ts';
import { RemoteAgent, type RemoteAgentSettings } from '../../../src/remote/remote-agent.ts';
import type { RemoteAgentEntry } from '../../../src/remote/remote-registry.ts';
import { RemoteStore } from '../../../src/remote/remote-store.ts';

export interface PartySpec {
  role: 'orchestrator' | 'agent';
  platform: 'telegram' | 'discord';
  /** Telegram apiRoot or Discord apiBase of the fake. */
  api: string;
  /** Telegram chat id or Discord channel id. */
  chat: string;
  token: string;
  scale: number;
  workDir: string;
  /** Orchestrator: its ledger, admins, remote agents and arbiter tunables. */
  dbPath?: string;
  leaseMs?: number;
  adminUserIds?: string[];
  adminRoleIds?: string[];
  agents?: RemoteAgentEntry[];
  handle?: string;
  arbiter?: Partial<ArbiterSettings>;
  /** Agent: who it is, what it runs, and its orchestrator. */
  agent?: {
    id: string;
    handle: string;
    skills: string[];
    capacity: number;
    command: string;
    env: Record<string, string>;
  };
  orchestrator?: { botUserId: string; handle: string };
  remoteAgent?: Partial<RemoteAgentSettings>;
}

const spec = JSON.parse(process.argv[2] ?? '{}') as PartySpec;
const log = createLogger(
  'info',
  process.stderr,
  spec.role === 'agent' ? (spec.agent?.id ?? 'agent') : 'orchestrator',
);

function telegramLimits(scale: number) {
  const s = (w: { max: number; windowMs: number }) => ({
    max: w.max,
    windowMs: Math.ceil(w.windowMs / scale),
  });
  const d = DEFAULT_TELEGRAM_RATE_LIMITS;
  return { perChat: s(d.perChat), perGroup: s(d.perGroup), global: s(d.global) };
}

function port(listenTo: string[], cursors: Parameters<typeof createDiscordChannel>[1]['cursors']): ChatPort {
  if (spec.platform === 'telegram') {
    return createTelegramChannel(
      {
        token: spec.token,
        chatId: spec.chat,
        apiRoot: spec.api,
        remoteAgentBotIds: listenTo,
        rateLimits: telegramLimits(spec.scale),
        polling: { timeoutSeconds: 5, retryMinMs: 200, retryMaxMs: 2_000 },
      },
      { log },
    );
  }
  return createDiscordChannel(
    {
      token: spec.token,
      channelId: spec.chat,
      apiBase: spec.api,
      remoteAgentBotIds: listenTo,
      adminRoleIds: spec.adminRoleIds ?? [],
      rates: {
        perChannel: DEFAULT_DISCORD_RATES.perChannel,
        perChannelWindowMs: DEFAULT_DISCORD_RATES.perChannelWindowMs / spec.scale,
      },
    },
    { log, cursors },
  );
}

async function runOrchestrator(): Promise<() => Promise<void>> {
  const ledger = Ledger.open(spec.dbPath!, { leaseMs: spec.leaseMs ?? 30_000, retryBaseMs: 200 });
  const pacing = PLATFORM_PACING[spec.platform]!;
  const orchestrator = new Orchestrator({
    ledger,
    port: port(
      (spec.agents ?? []).map((a) => a.botUserId),
      ledgerCursorStore(ledger, spec.platform),
    ),
    channel: 'main',
    admins: { userIds: spec.adminUserIds ?? [], roleIds: spec.adminRoleIds ?? [], everyone: false },
    log,
    poster: {
      ...pacing,
      perWindowMs: Math.ceil(pacing.perWindowMs! / spec.scale),
      minIntervalMs: Math.ceil((pacing.minIntervalMs ?? 0) / spec.scale),
    },
    remote: {
      agents: spec.agents ?? [],
      ...(spec.handle !== undefined ? { handle: spec.handle } : {}),
      workDir: spec.workDir,
      settings: spec.arbiter ?? {},
    },
  });
  await orchestrator.start();
  log.info('party ready');
  return async () => {
    await orchestrator.poster.drain(5_000);
    await orchestrator.stop();
    ledger.close();
  };
}

async function runAgent(): Promise<() => Promise<void>> {
  const a = spec.agent!;
  const store = new RemoteStore(`${spec.workDir}/store`);
  const agent = new RemoteAgent({
    port: port([spec.orchestrator!.botUserId], store.cursors),
    id: a.id,
    skills: a.skills,
    capacity: a.capacity,
    worker: createShellWorker({ command: a.command, env: a.env, log }),
    workRoot: `${spec.workDir}/tasks`,
    store,
    handle: a.handle,
    orchestrator: spec.orchestrator!,
    log,
    settings: spec.remoteAgent ?? {},
  });
  await agent.start();
  log.info('party ready');
  return () => agent.stop();
}

const stop = await (spec.role === 'orchestrator' ? runOrchestrator() : runAgent());
process.once('SIGTERM', () => {
  void stop().then(
    () => process.exit(0),
    () => process.exit(1),
  );
});
