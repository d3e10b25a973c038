import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createShellWorker } from '../../src/agents/shell-worker.ts';
import { endWorkerWatchdogs, startWorkerWatchdog } from '../../src/agents/worker-watchdog.ts';
import type { WorkerContext } from '../../src/agents/worker.ts';
import { silentLogger, type Logger } from '../../src/core/logger.ts';
import type { Task } from '../../src/core/types.ts';
import { Ledger } from '../../src/ledger/ledger.ts';
import { collect, spawnCli } from '../support/spawn-ts.ts';
import { tempDir } from '../support/temp-ledger.ts';
import { waitFor } from '../support/wait-for.ts';

/** Pids the tests saw; any still running at the end is killed and fails the test. */
const seen: number[] = [];
afterEach(() => {
  const alive = seen.splice(0).filter(isAlive);
  for (const pid of alive) process.kill(pid, 'SIGKILL');
  expect(alive, 'processes left running').toEqual([]);
});

/** Running, not a zombie (PID 1 in a container may never reap an orphan that was killed). */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return true;
  }
}

const readPid = (file: string): number | undefined => {
  if (!existsSync(file)) return undefined;
  const n = Number(readFileSync(file, 'utf8').trim());
  return Number.isInteger(n) && n > 0 ? n : undefined;
};

/** Starts `chat-swarm agent` on a task whose worker records its pids, and waits for both. */
async function agentWithRunningWorker(command: (dir: string) => string) {
  const dir = tempDir();
  const db = join(dir, 'swarm.db');
  const setup = Ledger.open(db);
  setup.createTask({ title: 'long job' }, 'test');
  setup.close();
  const agent = spawnCli(['agent', 'doomed-1', '--db', db, '--command', command(dir), '--lease-ms', '60000']);
  const exited = collect(agent);
  const pids = await waitFor(
    'worker pids',
    () => {
      const sh = readPid(join(dir, 'sh.pid'));
      const sleep = readPid(join(dir, 'sleep.pid'));
      return sh && sleep ? { sh, sleep } : undefined;
    },
    30_000,
  );
  seen.push(pids.sh, pids.sleep);
  expect(isAlive(pids.sh) && isAlive(pids.sleep)).toBe(true);
  return { agent, exited, pids };
}

describe('worker watchdog', () => {
  it('ends the worker of an agent killed with kill -9, within a few seconds', async () => {
    const { agent, exited, pids } = await agentWithRunningWorker(
      (dir) => `sleep 300 & echo $! > ${dir}/sleep.pid; echo $$ > ${dir}/sh.pid; wait`,
    );
    agent.kill('SIGKILL');
    expect((await exited).signal).toBe('SIGKILL');
    await waitFor('worker gone', () => !isAlive(pids.sh) && !isAlive(pids.sleep), 10_000, 50);
  }, 60_000);

  it('SIGKILLs, after the grace, a worker of a killed agent that ignores SIGTERM', async () => {
    const { agent, exited, pids } = await agentWithRunningWorker(
      (dir) => `trap '' TERM; sleep 300 & echo $! > ${dir}/sleep.pid; echo $$ > ${dir}/sh.pid; wait`,
    );
    agent.kill('SIGKILL');
    await exited;
    // The default grace is 5 s; the bound leaves room for a loaded machine.
    await waitFor('worker gone', () => !isAlive(pids.sh) && !isAlive(pids.sleep), 20_000, 100);
  }, 60_000);

  it('serves every worker of a process with one watchdog, which exits with the process', async () => {
    const dir = tempDir();
    const watchdogs: number[] = [];
    const log: Logger = {
      debug: (_msg, fields) => {
        if (typeof fields?.watchdogPid === 'number') watchdogs.push(fields.watchdogPid);
      },
      info: () => undefined,
      warn: () => undefined,
      error: () => undefined,
    };
    const ctx = {
      task: { id: 'T-1', title: 't', body: '', skills: [], notes: [], maxAttempts: 1 } as unknown as Task,
      attempt: 1,
      agentId: 'a1',
      workDir: dir,
      signal: new AbortController().signal,
      progress: () => undefined,
      ask: () => Promise.resolve(''),
      artifact: () => undefined,
    } satisfies WorkerContext;
    const worker = createShellWorker({ command: 'echo hi', log });
    expect(await worker.run(ctx)).toEqual({ ok: true, output: 'hi' });
    expect(await worker.run(ctx)).toEqual({ ok: true, output: 'hi' });
    expect(watchdogs).toHaveLength(2);
    expect(watchdogs[1]).toBe(watchdogs[0]);
    seen.push(watchdogs[0]!);
    // The process "dies": the watchdog has no group left to stop and exits at once.
    endWorkerWatchdogs();
    await waitFor('watchdog gone', () => !isAlive(watchdogs[0]!), 5_000);
  });

  it('stops the groups it still watches when its process dies, and leaves forgotten ones alone', async () => {
    const spawnGroup = () => {
      const child = spawn('sleep', ['300'], { detached: true, stdio: 'ignore' });
      child.unref();
      seen.push(child.pid!);
      return child.pid!;
    };
    const watched = spawnGroup();
    const forgotten = spawnGroup();
    const a = startWorkerWatchdog(1_000, silentLogger);
    const b = startWorkerWatchdog(1_000, silentLogger);
    expect(b.pid).toBe(a.pid);
    const arm = (w: typeof a, pg: number) =>
      new Promise<boolean>((resolve) => {
        w.watch(pg, resolve);
      });
    expect(await arm(a, watched)).toBe(true);
    expect(await arm(b, forgotten)).toBe(true);
    b.stop();
    seen.push(a.pid!);
    endWorkerWatchdogs();
    await waitFor('the watched group stopped', () => !isAlive(watched), 5_000, 20);
    await waitFor('the watchdog gone', () => !isAlive(a.pid!), 5_000, 20);
    expect(isAlive(forgotten)).toBe(true);
    process.kill(-forgotten, 'SIGKILL');
    await waitFor('the forgotten group ended by the test', () => !isAlive(forgotten), 5_000, 20);
  });

  it('an agent process that ran workers exits on its own (the watchdog does not hold it open)', async () => {
    const dir = tempDir();
    const script = join(dir, 'run.mts');
    writeFileSync(
      script,
      `import { createShellWorker } from ${JSON.stringify(join(process.cwd(), 'src/agents/shell-worker.ts'))};
import { silentLogger } from ${JSON.stringify(join(process.cwd(), 'src/core/logger.ts'))};
const ctx = { task: { id: 'T-1', title: 't', body: '', skills: [], notes: [], maxAttempts: 1 }, attempt: 1, agentId: 'a1',
  workDir: ${JSON.stringify(dir)}, signal: new AbortController().signal, progress: () => undefined,
  ask: () => Promise.resolve(''), artifact: () => undefined };
const r = await createShellWorker({ command: 'echo hi', log: silentLogger }).run(ctx);
console.log(JSON.stringify(r));
`,
    );
    const child = spawn(process.execPath, ['--import', 'tsx', script], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const code = await new Promise<number | null>((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error('the process did not exit within 20 s'));
      }, 20_000);
      child.on('exit', (c) => {
        clearTimeout(timer);
        resolve(c);
      });
    });
    expect(code).toBe(0);
    expect(JSON.parse(out.trim())).toEqual({ ok: true, output: 'hi' });
  });
});
