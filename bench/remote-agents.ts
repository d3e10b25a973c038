import { join } from 'node:path';
import { createDiscordChannel } from '../adapters/discord/discord-channel.ts';
import { DEFAULT_DISCORD_RATES } from '../adapters/discord/discord-limiter.ts';
import { createTelegramChannel } from '../adapters/telegram/telegram-channel.ts';
import { createFunctionWorker } from '../src/agents/function-worker.ts';
import type { ChatPort } from '../src/chat/chat-port.ts';
import { ledgerCursorStore } from '../src/cli/ledger-cursors.ts';
import { silentLogger } from '../src/core/logger.ts';
import { Ledger } from '../src/ledger/ledger.ts';
import { Orchestrator } from '../src/orchestrator/orchestrator.ts';
import { PLATFORM_PACING, type PosterOptions } from '../src/orchestrator/poster-options.ts';
import { decodeProtocol } from '../src/remote/protocol-codec.ts';
import { formatTag } from '../src/remote/protocol-types.ts';
import { RemoteAgent } from '../src/remote/remote-agent.ts';
import { RemoteStore } from '../src/remote/remote-store.ts';
import { scaledTelegramLimits } from '../test/e2e/telegram/scaled-telegram-limits.ts';
import { startFakeDiscord } from '../test/fakes/discord/fake-discord-server.ts';
import { DEFAULT_RATE_LIMITS } from '../test/fakes/discord/fake-rate-limits.ts';
import { FakeTelegramServer } from '../test/fakes/telegram/fake-telegram-server.ts';
import { benchDir, percentile, report } from './bench-util.ts';

const AGENTS = ['coder-1', 'coder-2', 'coder-3'];
/** The real lease of a remote attempt; heartbeats (edits of the hello message) every third of it. */
const REAL_LEASE_MS = 60_000;

interface Posted {
  at: number;
  author: string;
  text: string;
}

interface RemoteRun {
  platform: string;
  tasks: number;
  claimToGrantMs: number[];
  /** New messages in the chat per task: all, and the protocol's own. */
  messagesPerTask: number;
  protocolPerTask: number;
  editsPerTask: number;
  tasksPerMinutePerAgent: number;
  tooManyRequests: number;
  byVerb: Record<string, number>;
}

interface Platform {
  name: 'telegram' | 'discord';
  orchestratorPort(ledger: Ledger, agentBotIds: string[]): ChatPort;
  agentPort(index: number, store: RemoteStore): ChatPort;
  orchestratorBotId: string;
  agentBotIds: string[];
  handles: { orchestrator: string; agents: string[] };
  poster: Partial<PosterOptions>;
  posted(): Posted[];
  edits(): number;
  tooManyRequests(): number;
  close(): Promise<void>;
}

async function telegramPlatform(scale: number): Promise<Platform> {
  const limits = scaledTelegramLimits(scale);
  const fake = await FakeTelegramServer.start({ flood: limits });
  const orch = fake.addBot('swarm_bot');
  const bots = AGENTS.map((id) => fake.addBot(`${id.replace('-', '')}_bot`, { botToBot: true }));
  const alice = fake.addUser('Alice');
  const chat = fake.createChat('Bench', {
    members: [alice, { account: orch, status: 'administrator' }, ...bots],
  });
  const posted: Posted[] = [];
  const post = fake.world.post.bind(fake.world);
  fake.world.post = (c, fields) => {
    const m = post(c, fields);
    posted.push({ at: Date.now(), author: String(m.fromId), text: m.text });
    return m;
  };
  const pacing = PLATFORM_PACING.telegram!;
  return {
    name: 'telegram',
    orchestratorPort: (_ledger, ids) =>
      createTelegramChannel(
        {
          token: orch.token!,
          chatId: chat.id,
          apiRoot: fake.apiRoot,
          remoteAgentBotIds: ids,
          rateLimits: limits,
        },
        { log: silentLogger },
      ),
    agentPort: (i) =>
      createTelegramChannel(
        {
          token: bots[i]!.token!,
          chatId: chat.id,
          apiRoot: fake.apiRoot,
          remoteAgentBotIds: [String(orch.id)],
          rateLimits: limits,
        },
        { log: silentLogger },
      ),
    orchestratorBotId: String(orch.id),
    agentBotIds: bots.map((b) => String(b.id)),
    handles: { orchestrator: 'swarm_bot', agents: bots.map((b) => b.username!) },
    poster: {
      ...pacing,
      perWindowMs: Math.ceil(pacing.perWindowMs! / scale),
      minIntervalMs: Math.ceil(pacing.minIntervalMs! / scale),
    },
    posted: () => posted,
    edits: () => [...chat.messages.values()].reduce((n, m) => n + m.edits.length, 0),
    tooManyRequests: () => fake.stats().tooManyRequests,
    close: () => fake.close(),
  };
}

async function discordPlatform(scale: number): Promise<Platform> {
  const token = (n: string): string => `${n}-bench-token-0123456789abcdef`;
  const fake = await startFakeDiscord({
    bots: [
      { name: 'orchestrator', token: token('orchestrator') },
      ...AGENTS.map((id) => ({ name: id, token: token(id) })),
    ],
    rateLimits: {
      messages: {
        limit: DEFAULT_RATE_LIMITS.messages.limit,
        windowMs: DEFAULT_RATE_LIMITS.messages.windowMs / scale,
      },
    },
  });
  const rates = {
    perChannel: DEFAULT_DISCORD_RATES.perChannel,
    perChannelWindowMs: DEFAULT_DISCORD_RATES.perChannelWindowMs / scale,
  };
  const pacing = PLATFORM_PACING.discord!;
  return {
    name: 'discord',
    orchestratorPort: (ledger, ids) =>
      createDiscordChannel(
        {
          token: token('orchestrator'),
          channelId: fake.channelId,
          apiBase: fake.apiBase,
          remoteAgentBotIds: ids,
          rates,
        },
        { log: silentLogger, cursors: ledgerCursorStore(ledger, 'discord') },
      ),
    agentPort: (i, store) =>
      createDiscordChannel(
        {
          token: token(AGENTS[i]!),
          channelId: fake.channelId,
          apiBase: fake.apiBase,
          remoteAgentBotIds: [fake.bot('orchestrator').id],
          rates,
        },
        { log: silentLogger, cursors: store.cursors },
      ),
    orchestratorBotId: fake.bot('orchestrator').id,
    agentBotIds: AGENTS.map((id) => fake.bot(id).id),
    handles: { orchestrator: 'swarm', agents: AGENTS.map((id) => id.replace('-', '_')) },
    poster: { ...pacing, perWindowMs: Math.round(pacing.perWindowMs! / scale) },
    posted: () =>
      fake
        .transcript()
        .map((m) => ({ at: m.createdAt, author: m.authorId, text: m.content.replace(/\\(.)/g, '$1') })),
    edits: () => fake.transcript().reduce((n, m) => n + m.edits, 0),
    tooManyRequests: () => fake.counters.served429 + fake.counters.forced429,
    close: () => fake.close(),
  };
}

/**
 * Runs `tasks` tasks (created at once) through three remote agents, in-process, on a fake platform
 * with its limits compressed in time by `scale` (fake, adapters and poster alike, and the lease
 * too); figures are converted back to real time, which multiplies this machine's own overhead too.
 */
async function remoteRun(
  make: (scale: number) => Promise<Platform>,
  tasks: number,
  scale: number,
): Promise<RemoteRun> {
  const { dir, remove } = benchDir();
  const platform = await make(scale);
  const leaseMs = Math.round(REAL_LEASE_MS / scale);
  const ledger = Ledger.open(join(dir, 'swarm.db'), { synchronous: 'normal', leaseMs });
  const orchestrator = new Orchestrator({
    ledger,
    port: platform.orchestratorPort(ledger, platform.agentBotIds),
    channel: 'main',
    admins: { userIds: [], roleIds: [], everyone: false },
    log: silentLogger,
    poster: platform.poster,
    remote: {
      agents: AGENTS.map((id, i) => ({
        id,
        botUserId: platform.agentBotIds[i]!,
        handle: platform.handles.agents[i]!,
      })),
      ...(platform.name === 'discord' ? { handle: platform.handles.orchestrator } : {}),
      workDir: join(dir, 'orchestrator'),
      settings: { offerTimeoutMs: Math.round(20_000 / scale), messagesPerMinute: 30 * scale },
    },
  });
  const agents = AGENTS.map((id, i) => {
    const store = new RemoteStore(join(dir, id, 'store'));
    return new RemoteAgent({
      port: platform.agentPort(i, store),
      id,
      skills: [],
      capacity: 1,
      worker: createFunctionWorker((ctx) => `${ctx.task.title}: done`),
      workRoot: join(dir, id, 'tasks'),
      store,
      handle: platform.handles.agents[i]!,
      orchestrator: { botUserId: platform.orchestratorBotId, handle: platform.handles.orchestrator },
      log: silentLogger,
      settings: {
        messagesPerMinute: 20 * scale,
        idleHelloMs: Math.round(60_000 / scale),
        resultResendMs: Math.round(30_000 / scale),
      },
    });
  });
  try {
    await orchestrator.start();
    await Promise.all(agents.map((a) => a.start()));
    const startedAt = Date.now();
    for (let i = 1; i <= tasks; i++) ledger.createTask({ title: `bench task ${i}` }, 'bench');
    const deadline = Date.now() + 240_000;
    while (Date.now() < deadline && (ledger.countByStatus().done ?? 0) < tasks)
      await new Promise((r) => setTimeout(r, 50));
    const doneAt = Date.now();
    if ((ledger.countByStatus().done ?? 0) < tasks)
      throw new Error(`remote bench (${platform.name}): not all tasks done in time`);
    await orchestrator.poster.drain(30_000);

    const posted = platform.posted();
    const byVerb: Record<string, number> = {};
    const claims = new Map<string, number>();
    const claimToGrantMs: number[] = [];
    for (const p of posted) {
      const d = decodeProtocol(p.text);
      if (!d.ok) continue;
      byVerb[d.message.verb] = (byVerb[d.message.verb] ?? 0) + 1;
      if (d.message.verb === 'claim') claims.set(`${formatTag(d.message.tag)} ${d.message.agent}`, p.at);
      if (d.message.verb === 'grant') {
        const at = claims.get(`${formatTag(d.message.tag)} ${d.message.agent}`);
        if (at !== undefined) claimToGrantMs.push((p.at - at) * scale);
      }
    }
    const protocol = Object.values(byVerb).reduce((a, b) => a + b, 0);
    return {
      platform: platform.name,
      tasks,
      claimToGrantMs: claimToGrantMs.sort((a, b) => a - b),
      messagesPerTask: posted.length / tasks,
      protocolPerTask: protocol / tasks,
      editsPerTask: platform.edits() / tasks,
      tasksPerMinutePerAgent: tasks / (((doneAt - startedAt) * scale) / 60_000) / AGENTS.length,
      tooManyRequests: platform.tooManyRequests(),
      byVerb,
    };
  } finally {
    await Promise.all(agents.map((a) => a.stop()));
    await orchestrator.stop();
    ledger.close();
    await platform.close();
    remove();
  }
}

const s = (ms: number): string => `${(ms / 1_000).toFixed(2)} s`;

/** `npm run bench -- remote`: claim-to-grant latency, messages per task and throughput per agent. */
export async function runRemoteBench(tasks: number, scale: number): Promise<void> {
  const command = `npm run bench -- remote --tasks ${tasks} --scale ${scale}`;
  for (const make of [discordPlatform, telegramPlatform]) {
    const run = await remoteRun(make, tasks, scale);
    const scaled = `limits and lease in time ÷${scale}, figures ×${scale} back to real time`;
    report(
      `remote ${run.platform}: claim → grant latency`,
      `p50 ${s(percentile(run.claimToGrantMs, 50))}, p95 ${s(percentile(run.claimToGrantMs, 95))}, ` +
        `max ${s(run.claimToGrantMs.at(-1) ?? NaN)} over ${run.claimToGrantMs.length} grants [${scaled}]`,
      command,
    );
    report(
      `remote ${run.platform}: chat messages per task`,
      `${run.messagesPerTask.toFixed(1)} new messages a task, of which ${run.protocolPerTask.toFixed(1)} protocol ` +
        `(${Object.entries(run.byVerb)
          .map(([v, n]) => `${v} ${(n / run.tasks).toFixed(2)}`)
          .join(', ')}), plus ${run.editsPerTask.toFixed(1)} edits (status lines and heartbeats)`,
      command,
    );
    report(
      `remote ${run.platform}: tasks a minute per remote agent`,
      `${run.tasksPerMinutePerAgent.toFixed(2)} tasks/min per agent (${AGENTS.length} agents, ${run.tasks} tasks at once), ` +
        `${run.tooManyRequests} × 429 [${scaled}]`,
      command,
    );
  }
}
