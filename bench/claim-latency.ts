import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { Ledger } from '../src/ledger/ledger.ts';
import { benchDir, percentile, report } from './bench-util.ts';

/** Tasks created and claimed before the measured ones. */
const WARM_UP_TASKS = 10;

/**
 * Created-to-claimed latency across processes: idle agents run in their own processes; this
 * process creates tasks one at a time and reads, from the ledger, when each was claimed.
 */
export async function runLatencyBench(samples: number, agents: number): Promise<void> {
  const { dir, remove } = benchDir();
  const db = join(dir, 'swarm.db');
  const ledger = Ledger.open(db, { synchronous: 'normal' });
  const children = Array.from({ length: agents }, (_, i) =>
    spawn(
      process.execPath,
      ['--import', 'tsx', 'bench/processes/latency-agent.ts', db, `lat-${i}`, join(dir, 'work')],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    ),
  );
  try {
    await Promise.all(
      children.map((c) => new Promise<void>((resolve) => c.stdout.once('data', () => resolve()))),
    );
    await new Promise((r) => setTimeout(r, 500));
    const latencies: number[] = [];
    // The first tasks run code no process has compiled yet (the create here, the wake, claim and
    // completion in the agents): their latency is start-up, not the steady state, and is not counted.
    for (let i = -WARM_UP_TASKS; i < samples; i++) {
      const { task } = ledger.createTask({ title: `latency ${i}` }, 'bench');
      const createdAt = task.createdAt;
      const deadline = Date.now() + 10_000;
      let startedAt: number | undefined;
      while (startedAt === undefined && Date.now() < deadline) {
        const row = ledger.db
          .prepare('SELECT started_at FROM attempts WHERE task_id = ? AND attempt = 1')
          .get(task.id) as { started_at: number } | undefined;
        // Waits on a 1 ms timer, not setImmediate: the figure comes from the ledger's timestamps,
        // and a spinning harness would take a core from the agents it measures.
        if (row) startedAt = row.started_at;
        else await new Promise((r) => setTimeout(r, 1));
      }
      if (startedAt === undefined) throw new Error(`task ${task.id} was not claimed within 10 s`);
      if (i >= 0) latencies.push(startedAt - createdAt);
      await new Promise((r) => setTimeout(r, 20 + Math.random() * 30));
    }
    latencies.sort((a, b) => a - b);
    report(
      `created-to-claimed across processes (${agents} idle agent processes, ${samples} tasks after ${WARM_UP_TASKS} not counted)`,
      `p50 ${percentile(latencies, 50)} ms, p99 ${percentile(latencies, 99)} ms, max ${latencies.at(-1)} ms`,
      `npm run bench -- latency --samples ${samples} --agents ${agents}`,
    );
  } finally {
    for (const c of children) c.kill('SIGTERM');
    await Promise.all(
      children.map((c) => new Promise((r) => (c.exitCode !== null ? r(null) : c.once('exit', r)))),
    );
    ledger.close();
    remove();
  }
}
