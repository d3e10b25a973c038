/**
 * Discord mirror benchmark: tasks run by three agent bots and mirrored through one channel and its
 * threads on the fake Discord server, under Discord's per-channel limits with every window scaled
 * down by the same factor (the fake's buckets, the adapter's pacing and the poster's). Figures are
 * converted back to real time: one scaled millisecond stands for `scale` real ones.
 */
import { join } from 'node:path';
import { silentLogger } from '../src/core/logger.ts';
import { Ledger } from '../src/ledger/ledger.ts';
import { startSwarmFake, startSwarmOnDiscord } from '../test/e2e/discord/discord-swarm-kit.ts';
import { benchDir, percentile, report } from './bench-util.ts';
import { eventToMessageDelays } from './discord-delays.ts';

/** Discord's observed budget for one channel: 5 messages per 5 s, i.e. 60 a minute. */
const DISCORD_MESSAGES_PER_MINUTE = 60;
/** Real-time duration of one piece of work. */
const WORK_MS = 500;

interface Workload {
  label: string;
  tasks: number;
  /** Tasks created per real minute; undefined creates them all at once. */
  perMinute?: number;
}

interface Figures {
  /** Real-time milliseconds from the first task to the last message. */
  mirroredMs: number;
  workDoneMs: number;
  mirroredEvents: number;
  messages: number;
  edits: number;
  served429: number;
  /** Real-time event→message delays, sorted. */
  delays: number[];
}

/** One run on a fresh fake server and ledger; all times returned in real-time milliseconds. */
async function measure(load: Workload, scale: number): Promise<Figures> {
  const { dir, remove } = benchDir();
  const fake = await startSwarmFake(scale);
  const ledger = Ledger.open(join(dir, 'swarm.db'), { synchronous: 'normal' });
  const swarm = await startSwarmOnDiscord(fake, ledger, silentLogger, { scale });
  const sleep = (realMs: number) => new Promise((resolve) => setTimeout(resolve, realMs / scale));
  try {
    for (const id of ['designer-001', 'writer-002', 'coder-003']) {
      swarm.agent(id, [], async (ctx) => (await sleep(WORK_MS), `result of ${ctx.task.id}`), 4);
    }
    const startedAt = Date.now();
    if (load.perMinute === undefined) {
      ledger.transaction(() => {
        for (let i = 1; i <= load.tasks; i++) ledger.createTask({ title: `bench task ${i}` }, 'bench');
      });
    } else {
      for (let i = 1; i <= load.tasks; i++) {
        ledger.createTask({ title: `bench task ${i}` }, 'bench');
        swarm.orchestrator.poster.kick();
        await sleep(60_000 / load.perMinute);
      }
    }
    while ((ledger.countByStatus().done ?? 0) < load.tasks) await new Promise((r) => setTimeout(r, 10));
    const workDoneMs = (Date.now() - startedAt) * scale;
    const left = await swarm.orchestrator.poster.drain(600_000);
    if (left > 0) throw new Error(`${left} messages still pending after 10 minutes`);
    const mirroredMs = (Date.now() - startedAt) * scale;
    const containers = [fake.channelId, ...fake.threads(fake.channelId).map((t) => t.id)];
    return {
      mirroredMs,
      workDoneMs,
      mirroredEvents: ledger.audit().mirroredEvents,
      messages: containers.reduce((n, id) => n + fake.transcript(id).length, 0),
      edits: fake.requests.filter((r) => r.method === 'PATCH' && /\/messages\/\d+$/.test(r.path)).length,
      served429: fake.counters.served429,
      delays: eventToMessageDelays(ledger)
        .map((ms) => ms * scale)
        .sort((a, b) => a - b),
    };
  } finally {
    await swarm.stop();
    await fake.close();
    ledger.close();
    remove();
  }
}

/** Runs a burst and a steady overload; prints throughput against one message per event, and delays. */
export async function runDiscordBench(tasks: number, scale: number): Promise<void> {
  const command = `npm run bench -- discord --tasks ${tasks} --scale ${scale}`;
  const note = `limits scaled ${scale}x in time (5 per ${5_000 / scale} ms), figures converted to real time`;
  const loads: Workload[] = [
    { label: `${tasks} tasks at once`, tasks },
    // 40 tasks a minute is 120 mirrored events a minute: twice what one message per event could show.
    { label: '40 tasks a minute for 3 minutes', tasks: 120, perMinute: 40 },
  ];
  for (const load of loads) {
    const f = await measure(load, scale);
    const perMinute = (load.tasks / f.mirroredMs) * 60_000;
    const baseline = DISCORD_MESSAGES_PER_MINUTE / (f.mirroredEvents / load.tasks);
    report(
      `discord, ${load.label}: tasks mirrored per minute through one channel and its threads`,
      `${perMinute.toFixed(0)} tasks/min vs ${baseline.toFixed(0)} tasks/min for one message per event at 5 per 5 s ` +
        `(${(perMinute / baseline).toFixed(1)}x); all shown ${(f.mirroredMs / 1_000).toFixed(1)} s after the first task, ` +
        `work done at ${(f.workDoneMs / 1_000).toFixed(1)} s; ${f.mirroredEvents} events shown by ${f.messages} messages ` +
        `and ${f.edits} edits; 429s: ${f.served429}; ${note}`,
      command,
    );
    report(
      `discord, ${load.label}: delay from a ledger event to the last message showing it (outbox.sent_at − events.at)`,
      `p50 ${Math.round(percentile(f.delays, 50))} ms, p95 ${Math.round(percentile(f.delays, 95))} ms, ` +
        `max ${Math.round(f.delays.at(-1) ?? NaN)} ms over ${f.delays.length} events; ${note} ` +
        `(local latency is multiplied too, so small delays are overstated)`,
      command,
    );
  }
}
