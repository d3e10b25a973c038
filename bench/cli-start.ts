import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { benchDir, percentile, report } from './bench-util.ts';
import { buildFirst } from './build-first.ts';

const BIN = resolve('bin/chat-swarm.js');

/** Wall time of one run of the installed command, in ms; throws if it fails. */
function timeRun(args: string[], cwd: string): number {
  const started = process.hrtime.bigint();
  const run = spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: 'utf8', env: { ...process.env } });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (run.status !== 0) throw new Error(`chat-swarm ${args.join(' ')} exited ${run.status}: ${run.stderr}`);
  return ms;
}

/**
 * Start-up time of the installed command (node bin/chat-swarm.js, running the compiled dist/):
 * `--version` and `task add` into a fresh ledger, median of `runs` runs each, after one warm-up.
 */
export function runCliStartBench(runs: number): void {
  buildFirst();
  const { dir, remove } = benchDir();
  try {
    const db = join(dir, 'swarm.db');
    const cases: { label: string; args: (i: number) => string[] }[] = [
      { label: 'chat-swarm --version', args: () => ['--version'] },
      { label: 'chat-swarm task add', args: (i) => ['task', 'add', `bench task ${i}`, '--db', db] },
    ];
    for (const c of cases) {
      timeRun(c.args(-1), dir);
      const samples = Array.from({ length: runs }, (_, i) => timeRun(c.args(i), dir)).sort((a, b) => a - b);
      report(
        `CLI start, ${c.label} (node bin/chat-swarm.js, compiled)`,
        `median ${percentile(samples, 50).toFixed(0)} ms of ${runs} runs (fastest ${samples[0]!.toFixed(0)} ms, slowest ${samples.at(-1)!.toFixed(0)} ms)`,
        `npm run bench -- cli --runs ${runs}`,
      );
    }
  } finally {
    remove();
  }
}
