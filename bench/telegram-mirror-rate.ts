import { join } from 'node:path';
import { createTelegramChannel } from '../adapters/telegram/telegram-channel.ts';
import { AgentRuntime } from '../src/agents/agent-runtime.ts';
import { createFunctionWorker } from '../src/agents/function-worker.ts';
import { silentLogger } from '../src/core/logger.ts';
import { Ledger } from '../src/ledger/ledger.ts';
import { Orchestrator } from '../src/orchestrator/orchestrator.ts';
import { scaledTelegramLimits, scaledTelegramPacing } from '../test/e2e/telegram/scaled-telegram-limits.ts';
import { FakeTelegramServer } from '../test/fakes/telegram/fake-telegram-server.ts';
import { benchDir, percentile, report } from './bench-util.ts';
import { mirrorTiming } from './telegram-mirror-timing.ts';

/** Telegram's windows divided by 10: a group allows 20 messages per 6 s instead of per minute. */
const TIME_SCALE = 10;
const GROUP_PER_MINUTE = 20;
const AGENTS = ['coder-001', 'writer-001', 'reviewer-001'];
/** The steady run offers one task every half second of real time: 120 a minute. */
const STEADY_EVERY_REAL_MS = 500;

interface MirrorRun {
  tasks: number;
  /** Tasks fully shown in the chat per real minute. */
  perMinute: number;
  eventsPerTask: number;
  mirroredEvents: number;
  messages: number;
  tooManyRequests: number;
  unseen: number;
  /** Event → message delays, ms at real limits, sorted. */
  delaysMs: number[];
}

/**
 * Runs `tasks` tasks through three agents with their own bots on the fake Bot API with the
 * platform's limits compressed in time (same for fake, adapter and poster), created all at once
 * (`everyRealMs` 0) or one every `everyRealMs` of real time. Results are scaled back to real time,
 * which also multiplies this machine's own overhead by the scale: conservative.
 */
async function mirrorRun(tasks: number, everyRealMs: number): Promise<MirrorRun> {
  const { dir, remove } = benchDir();
  const limits = scaledTelegramLimits(TIME_SCALE);
  const fake = await FakeTelegramServer.start({ flood: limits });
  const ledger = Ledger.open(join(dir, 'swarm.db'), { synchronous: 'normal' });
  const orchestratorBot = fake.addBot('swarm_bot');
  const agentBots = AGENTS.map((id) => fake.addBot(id.replace('-', '_')));
  const agentTokens = Object.fromEntries(AGENTS.map((id, i) => [id, agentBots[i]!.token!]));
  const alice = fake.addUser('Alice');
  const chat = fake.createChat('Bench', {
    members: [alice, { account: orchestratorBot, status: 'administrator' }, ...agentBots],
  });
  const port = createTelegramChannel(
    {
      token: orchestratorBot.token!,
      chatId: chat.id,
      apiRoot: fake.apiRoot,
      agentTokens,
      rateLimits: limits,
    },
    { log: silentLogger },
  );
  const orchestrator = new Orchestrator({
    ledger,
    port,
    channel: 'main',
    admins: { userIds: [String(alice.id)], roleIds: [], everyone: false },
    log: silentLogger,
    poster: scaledTelegramPacing(TIME_SCALE),
  });
  const agents = AGENTS.map(
    (id) =>
      new AgentRuntime(ledger, {
        id,
        skills: [],
        capacity: 4,
        worker: createFunctionWorker((ctx) => `${ctx.task.title}: done`),
        workRoot: join(dir, 'work'),
        log: silentLogger,
      }),
  );
  try {
    await orchestrator.start();
    for (const a of agents) a.start();
    for (let i = 1; i <= tasks; i++) {
      ledger.createTask({ title: `bench task ${i}` }, 'bench');
      if (everyRealMs > 0) await new Promise((r) => setTimeout(r, everyRealMs / TIME_SCALE));
    }
    const deadline = Date.now() + 100_000;
    while (Date.now() < deadline && (ledger.countByStatus().done ?? 0) < tasks)
      await new Promise((r) => setTimeout(r, 50));
    const left = await orchestrator.poster.drain(Math.max(1_000, deadline - Date.now()));
    if (left > 0) throw new Error(`telegram bench: ${left} messages still unposted at the time limit`);

    const timing = mirrorTiming(ledger.db);
    const startedAt = (ledger.db.prepare('SELECT MIN(at) AS t FROM events').get() as { t: number }).t;
    const lastShown = Math.max(...timing.taskShownAt.values());
    const { mirroredEvents } = ledger.audit();
    return {
      tasks,
      perMinute: tasks / (((lastShown - startedAt) * TIME_SCALE) / 60_000),
      eventsPerTask: mirroredEvents / tasks,
      mirroredEvents,
      messages: fake.transcript(chat.id).length,
      tooManyRequests: fake.stats().tooManyRequests,
      unseen: timing.unseen.length,
      delaysMs: [...timing.eventDelays.values()].map((d) => d * TIME_SCALE).sort((a, b) => a - b),
    };
  } finally {
    for (const a of agents) await a.stop();
    await orchestrator.stop();
    ledger.close();
    await fake.close();
    remove();
  }
}

const seconds = (ms: number): string => `${(ms / 1_000).toFixed(1)} s`;

/** Prints throughput against the one-message-per-event baseline, and the event → message delay. */
function reportRun(label: string, run: MirrorRun, command: string): void {
  const baseline = GROUP_PER_MINUTE / run.eventsPerTask;
  const scale = `limits in time ÷${TIME_SCALE} (20 msgs per ${60 / TIME_SCALE} s), figures ×${TIME_SCALE} back to real time`;
  report(
    `telegram ${label}: tasks mirrored per minute through one group`,
    `${run.perMinute.toFixed(1)} tasks/min vs ${baseline.toFixed(2)} at one message per event ` +
      `(${run.eventsPerTask.toFixed(1)} events a task, 20 msgs/min): ${(run.perMinute / baseline).toFixed(1)}× ` +
      `[${run.tasks} tasks, ${run.mirroredEvents} events in ${run.messages} messages, ` +
      `${run.tooManyRequests} × 429, ${run.unseen} events unseen; ${scale}]`,
    command,
  );
  report(
    `telegram ${label}: p95 delay ledger event → its message`,
    `${seconds(percentile(run.delaysMs, 95))} at real limits (p50 ${seconds(percentile(run.delaysMs, 50))}, ` +
      `max ${seconds(run.delaysMs.at(-1) ?? NaN)}, over ${run.delaysMs.length} events; ${scale})`,
    command,
  );
}

/** `npm run bench -- telegram`: a burst of `tasks` at once, then the same number arriving steadily. */
export async function runTelegramBench(tasks: number): Promise<void> {
  const command = `npm run bench -- telegram --tasks ${tasks}`;
  reportRun(`burst (${tasks} at once)`, await mirrorRun(tasks, 0), command);
  reportRun(
    `steady (${60_000 / STEADY_EVERY_REAL_MS} tasks/min offered)`,
    await mirrorRun(tasks, STEADY_EVERY_REAL_MS),
    command,
  );
}
