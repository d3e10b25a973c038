import { parseArgs } from 'node:util';
import { runBoardBench } from './board.ts';
import { runLatencyBench } from './claim-latency.ts';
import { runChaosBench } from './chaos.ts';
import { runCliStartBench } from './cli-start.ts';
import { runDiscordBench } from './discord-mirror.ts';
import { runLedgerBench } from './ledger-throughput.ts';
import { runRssBench } from './peak-rss.ts';
import { runPeersBench } from './peers.ts';
import { runRemoteBench } from './remote-agents.ts';
import { runScheduleChaosBench } from './schedule-chaos.ts';
import { runSwarmBench } from './swarm-run.ts';
import { runTelegramBench } from './telegram-mirror-rate.ts';

// `npm run bench [-- cli|ledger|latency|rss|telegram|discord|chaos|schedule-chaos|board|remote|peers|swarm] [--runs N] [--tasks N] [--scale N] [--rounds N --interval-ms N] [--restarts N] [--clients N] [--processes N]`: prints each figure with the command that made it.
const { positionals, values } = parseArgs({
  args: process.argv.slice(2),
  options: {
    tasks: { type: 'string' },
    samples: { type: 'string' },
    agents: { type: 'string' },
    scale: { type: 'string' },
    rounds: { type: 'string' },
    'interval-ms': { type: 'string' },
    restarts: { type: 'string' },
    clients: { type: 'string' },
    runs: { type: 'string' },
    processes: { type: 'string' },
  },
  allowPositionals: true,
});
const which = positionals[0] ?? 'all';
process.stdout.write(`chat-swarm benchmarks — node ${process.version}, ${new Date().toISOString()}\n`);
if (which === 'all' || which === 'cli') runCliStartBench(Number(values.runs ?? 15));
if (which === 'all' || which === 'ledger') runLedgerBench(Number(values.tasks ?? 2_000));
if (which === 'all' || which === 'latency')
  await runLatencyBench(Number(values.samples ?? 200), Number(values.agents ?? 4));
if (which === 'all' || which === 'rss') await runRssBench(Number(values.tasks ?? 100_000));
if (which === 'all' || which === 'telegram') await runTelegramBench(Number(values.tasks ?? 200));
if (which === 'all' || which === 'discord')
  await runDiscordBench(Number(values.tasks ?? 300), Number(values.scale ?? 10));
if (which === 'all' || which === 'chaos')
  await runChaosBench({
    rounds: Number(values.rounds ?? 12),
    agents: Number(values.agents ?? 3),
    intervalMs: Number(values['interval-ms'] ?? 3_000),
  });
// Not part of 'all': 200 process restarts take several minutes.
if (which === 'schedule-chaos') await runScheduleChaosBench(Number(values.restarts ?? 200));
// Not part of `all`: it needs Chromium (`.ci/run` installs Debian's).
if (which === 'board')
  await runBoardBench(
    Number(values.tasks ?? 10_000),
    Number(values.clients ?? 50),
    Number(values.samples ?? 100),
  );
if (which === 'all' || which === 'remote')
  await runRemoteBench(Number(values.tasks ?? 30), Number(values.scale ?? 10));
// Not part of 'all': five rounds of eight-process runs take a few minutes.
if (which === 'peers')
  await runPeersBench(
    Number(values.tasks ?? 2_000),
    Number(values.rounds ?? 5),
    Number(values.processes ?? 8),
  );
// Not part of 'all': it starts 39 processes and runs for a minute or more.
if (which === 'swarm') await runSwarmBench(Number(values.tasks ?? 1_000), Number(values.agents ?? 38));
