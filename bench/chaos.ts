import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ledger } from '../src/ledger/ledger.ts';
import { benchDir, report } from './bench-util.ts';
import { analyseChaos, groupAlive, readEffects, readWorkerRecords } from './chaos-analysis.ts';

/** Settings of one chaos run (`npm run bench -- chaos --rounds N --agents N --interval-ms N`). */
export interface ChaosOptions {
  /** How many processes are killed with SIGKILL, one after another. */
  rounds: number;
  /** Separate `chat-swarm agent` processes, besides `up` (which runs one agent too). */
  agents: number;
  /** Time between two kills. */
  intervalMs: number;
}

const LEASE_MS = 2_000;
/** The workers' SIGTERM grace is 5 s; a worker still running this long after its agent died is an orphan. */
const ORPHAN_CHECK_MS = 8_000;
const SETTLE_MS = 120_000;

interface Proc {
  name: string;
  child: ChildProcess;
  stderr: string;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Resolves once the child has exited (at once if it already has). */
function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/**
 * Kills agent processes and the orchestrator (`up`) with SIGKILL, one every `intervalMs`, while
 * tasks run, restarting each at once; then lets the swarm finish and counts tasks lost, done twice,
 * stale writes accepted and worker process groups still alive some seconds after their agent died.
 */
export async function runChaosBench(options: ChaosOptions): Promise<void> {
  const { dir, remove } = benchDir();
  const db = join(dir, 'swarm.db');
  const pidDir = join(dir, 'pids');
  const effects = join(dir, 'effects.log');
  mkdirSync(pidDir);
  // Records its group and agent, works 1.5 s, appends its side effect, prints a result naming its attempt.
  const command = [
    'echo "$PPID $SWARM_TASK_ID $SWARM_ATTEMPT" > "$CHAOS_PIDS/$$"',
    'sleep 1.5',
    'echo "$SWARM_TASK_ID $SWARM_ATTEMPT $PPID $(date +%s%3N)" >> "$CHAOS_EFFECTS"',
    'echo "result $SWARM_TASK_ID attempt $SWARM_ATTEMPT"',
  ].join('\n');
  const agent = (id: string) => ({
    id,
    capacity: 2,
    command,
    env: { CHAOS_PIDS: pidDir, CHAOS_EFFECTS: effects },
  });
  const base = {
    db,
    workDir: join(dir, 'work'),
    logLevel: 'warn',
    channel: { platform: 'console', admin: true },
    ledger: { leaseMs: LEASE_MS, retryBaseMs: 200, defaultMaxAttempts: 20, synchronous: 'normal' },
  };
  const upConfig = join(dir, 'up.json');
  const agentsConfig = join(dir, 'agents.json');
  writeFileSync(upConfig, JSON.stringify({ ...base, agents: [agent('up-agent')] }));
  const ids = Array.from({ length: options.agents }, (_, i) => `chaos-${i + 1}`);
  writeFileSync(agentsConfig, JSON.stringify({ ...base, agents: ids.map(agent) }));

  const start = (name: string): Proc => {
    const args = name === 'up' ? ['up', '--config', upConfig] : ['agent', name, '--config', agentsConfig];
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    const proc: Proc = { name, child, stderr: '' };
    child.stderr?.on('data', (d: Buffer) => (proc.stderr = (proc.stderr + d.toString()).slice(-4_000)));
    return proc;
  };

  const ledger = Ledger.open(db, { synchronous: 'normal' });
  const procs = new Map<string, Proc>([['up', start('up')], ...ids.map((id) => [id, start(id)] as const)]);
  const killedAt = new Map<number, number>();
  const orphanChecks: Promise<number>[] = [];
  let created = 0;
  const topUp = (): void => {
    const open = ledger.listTasks({ status: ['queued', 'claimed', 'blocked'] }).length;
    for (let i = open; i < 12; i++)
      ledger.createTask({ title: `chaos ${++created}`, maxAttempts: 20 }, 'bench');
  };
  const began = Date.now();
  try {
    topUp();
    for (let round = 0; round < options.rounds; round++) {
      await sleep(options.intervalMs);
      topUp();
      const names = [...procs.keys()];
      const victim = procs.get(names[Math.floor(Math.random() * names.length)]!)!;
      const pid = victim.child.pid!;
      victim.child.kill('SIGKILL');
      killedAt.set(pid, Date.now());
      await exited(victim.child);
      orphanChecks.push(
        sleep(ORPHAN_CHECK_MS).then(
          () => readWorkerRecords(pidDir).filter((w) => w.agentPid === pid && groupAlive(w.pgid)).length,
        ),
      );
      procs.set(victim.name, start(victim.name));
    }
    const deadline = Date.now() + SETTLE_MS;
    while (ledger.hasTasksIn(['queued', 'claimed', 'blocked']) && Date.now() < deadline) await sleep(200);
  } finally {
    for (const p of procs.values()) p.child.kill('SIGTERM');
    await Promise.all([...procs.values()].map((p) => exited(p.child)));
  }
  const orphans = (await Promise.all(orphanChecks)).reduce((a, b) => a + b, 0);
  const watchdogsLeft = countWatchdogs();
  const figures = analyseChaos(ledger, readEffects(effects), killedAt);
  ledger.close();
  remove();

  const seconds = Math.round((Date.now() - began) / 1000);
  const cmd = `npm run bench -- chaos --rounds ${options.rounds} --agents ${options.agents} --interval-ms ${options.intervalMs}`;
  report(
    'chaos: kill -9 of agents and up while tasks run',
    `${options.rounds} kills in ${seconds}s, ${figures.tasks} tasks: ${figures.lost} lost, ${figures.doneTwice} done twice, ` +
      `${figures.staleAccepted} stale writes accepted (${figures.staleRefused} refused), ` +
      `${orphans} orphaned worker groups alive ${ORPHAN_CHECK_MS / 1000}s after their agent's kill, ${watchdogsLeft} watchdogs left at the end`,
    cmd,
  );
  for (const line of figures.lostDetails) process.stdout.write(`    not done: ${line}\n`);
  report(
    'chaos: side effects',
    `${figures.repeatedEffects} tasks whose worker's side effect ran more than once ` +
      `(its agent was killed around the effect, before the result was committed: at-least-once); ` +
      `${figures.effectsAfterAgentKilled} effects written by a worker after its agent was killed` +
      (figures.effectsAfterAgentKilled
        ? ` (at most ${figures.maxEffectDelayMs} ms after: before its watchdog's SIGTERM landed)`
        : ''),
    cmd,
  );
}

/** Watchdog shells still running on this host (each should end with its attempt). */
function countWatchdogs(): number {
  let n = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes('chat-swarm-watchdog')) n++;
    } catch {
      // Gone while we looked.
    }
  }
  return n;
}
