import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Ledger } from '../src/ledger/ledger.ts';
import { benchDir, report } from './bench-util.ts';
import { buildFirst } from './build-first.ts';

const BIN = resolve('bin/chat-swarm.js');
/** Linux reports process times in clock ticks of 10 ms (USER_HZ). */
const TICK_MS = 10;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** CPU milliseconds a process has used so far, its waited-for children (the workers) included. */
function cpuMs(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    // Fields after the command name, which is in parentheses and may hold spaces.
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    // utime, stime, cutime, cstime are fields 14–17 of the whole line: 12–15 after the name.
    return [11, 12, 13, 14].reduce((sum, i) => sum + Number(fields[i]), 0) * TICK_MS;
  } catch {
    return 0;
  }
}

async function waitFor(what: string, timeoutMs: number, test: () => boolean): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!test()) {
    if (Date.now() > deadline)
      throw new Error(`swarm bench: ${what} did not happen within ${timeoutMs / 1000} s`);
    await sleep(50);
  }
}

/**
 * End to end, compiled code: `chat-swarm up` on the console channel and `agents` separate
 * `chat-swarm agent` processes (a shell worker, `echo ok`, capacity 1 each) on one ledger at the
 * default durability (synchronous=FULL). The tasks are created through the CLI, by one
 * `chat-swarm task import` of a JSON Lines file, while the swarm is paused; `chat-swarm resume`
 * starts the clock, the last result stops it. Reports tasks a second and the orchestrator's CPU time
 * over that window.
 */
export async function runSwarmBench(tasks: number, agents: number): Promise<void> {
  buildFirst();
  const { dir, remove } = benchDir();
  const db = join(dir, 'swarm.db');
  const base = {
    db,
    workDir: join(dir, 'work'),
    logLevel: 'warn',
    channel: { platform: 'console', admin: true },
  };
  const ids = Array.from({ length: agents }, (_, i) => `swarm-${i + 1}`);
  const upConfig = join(dir, 'up.json');
  const agentsConfig = join(dir, 'agents.json');
  writeFileSync(upConfig, JSON.stringify({ ...base, agents: [] }));
  writeFileSync(
    agentsConfig,
    JSON.stringify({ ...base, agents: ids.map((id) => ({ id, capacity: 1, command: 'echo ok' })) }),
  );
  const ledger = Ledger.open(db);
  ledger.pause('bench');
  const count = (sql: string): number => (ledger.db.prepare(sql).get() as { n: number }).n;
  const children: ChildProcess[] = [];
  const start = (args: string[]): ChildProcess => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: dir,
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    children.push(child);
    return child;
  };
  try {
    const up = start(['up', '--config', upConfig]);
    const agentProcs = ids.map((id) => start(['agent', id, '--config', agentsConfig]));
    await waitFor(
      `${agents} agents registering`,
      120_000,
      () =>
        agents === count("SELECT COUNT(*) AS n FROM agents WHERE id LIKE 'swarm-%' AND instance IS NOT NULL"),
    );
    const tasksFile = join(dir, 'tasks.jsonl');
    writeFileSync(
      tasksFile,
      Array.from({ length: tasks }, (_, i) => `${JSON.stringify({ title: `tiny ${i + 1}` })}\n`).join(''),
    );
    const importStart = performance.now();
    const imported = spawnSync(process.execPath, [BIN, 'task', 'import', tasksFile, '--config', upConfig], {
      cwd: dir,
    });
    const importMs = performance.now() - importStart;
    if (imported.status !== 0) throw new Error(`chat-swarm task import failed: ${String(imported.stderr)}`);
    if (tasks !== count('SELECT COUNT(*) AS n FROM tasks'))
      throw new Error(
        `swarm bench: task import left ${count('SELECT COUNT(*) AS n FROM tasks')} tasks, not ${tasks}`,
      );
    // The orchestrator posts each new task to the console; let it finish before the clock starts, so
    // the window holds the work (as when the tasks were typed into up, which posted each as it went).
    await waitFor(
      `the ${tasks} new tasks posted to the console`,
      120_000,
      () => count("SELECT COUNT(*) AS n FROM outbox WHERE status = 'pending'") === 0,
    );
    const upBefore = cpuMs(up.pid);
    const agentsBefore = agentProcs.reduce((n, c) => n + cpuMs(c.pid), 0);
    const resumed = spawnSync(process.execPath, [BIN, 'resume', '--config', upConfig], { cwd: dir });
    if (resumed.status !== 0) throw new Error(`chat-swarm resume failed: ${String(resumed.stderr)}`);
    await waitFor(
      `${tasks} tasks done`,
      600_000,
      () => tasks === count("SELECT COUNT(*) AS n FROM tasks WHERE status = 'done'"),
    );
    const upMs = cpuMs(up.pid) - upBefore;
    const agentsMs = agentProcs.reduce((n, c) => n + cpuMs(c.pid), 0) - agentsBefore;
    const window = ledger.db
      .prepare(
        "SELECT (SELECT MAX(at) FROM events WHERE type = 'swarm_resumed') AS t0, (SELECT MAX(ended_at) FROM attempts) AS t1",
      )
      .get() as { t0: number; t1: number };
    const seconds = (window.t1 - window.t0) / 1000;
    const attempts = count('SELECT COUNT(*) AS n FROM attempts');
    report(
      `swarm end to end: ${agents} agent processes (shell worker, capacity 1) and up on the console, ${tasks} tiny tasks from one task import, synchronous=FULL`,
      `${(tasks / seconds).toFixed(0)} tasks/s (${seconds.toFixed(1)} s from resume to the last result, ${attempts} attempts); ` +
        `orchestrator CPU ${(upMs / 1000).toFixed(1)} s = ${((upMs / (seconds * 1000)) * 100).toFixed(0)}% of one core, ` +
        `${((upMs / (upMs + agentsMs)) * 100).toFixed(0)}% of the swarm's CPU (agents and their workers ${(agentsMs / 1000).toFixed(1)} s); ` +
        `the task import took ${(importMs / 1000).toFixed(2)} s`,
      `npm run bench -- swarm --tasks ${tasks} --agents ${agents}`,
    );
  } finally {
    for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
    await Promise.all(
      children.map(
        (c) =>
          new Promise<void>((r) => {
            if (c.exitCode !== null || c.signalCode !== null) return r();
            const force = setTimeout(() => c.kill('SIGKILL'), 15_000);
            c.once('exit', () => {
              clearTimeout(force);
              r();
            });
          }),
      ),
    );
    ledger.close();
    remove();
  }
}
