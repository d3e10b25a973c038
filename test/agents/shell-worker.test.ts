import { getEventListeners } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createShellWorker, type ShellWorkerOptions } from '../../src/agents/shell-worker.ts';
import type { WorkerContext, WorkerResult } from '../../src/agents/worker.ts';
import type { Task } from '../../src/core/types.ts';

function makeTask(overrides: Partial<Task> = {}): Task {
  return {
    ...{ id: 'T-7', title: 'Paint the fence', body: 'All of it.\nTwice.', skills: ['paint', 'ladder'] },
    ...{ priority: 0, dependsOn: [], review: false, timeoutMs: 60_000, maxAttempts: 3, status: 'claimed' },
    ...{
      attempt: 2,
      owner: 'agent-1',
      assignee: null,
      leaseExpiresAt: null,
      notBefore: 0,
      progressPct: null,
    },
    ...{ progressText: null, question: null, result: null, lastError: null, waitingReason: null },
    ...{
      notes: ['use blue', 'not the gate'],
      createdBy: 'u1',
      idempotencyKey: null,
      createdAt: 0,
      updatedAt: 0,
    },
    ...overrides,
  };
}

interface Harness {
  ctx: WorkerContext;
  controller: AbortController;
  progress: Array<{ pct: number | null; text: string }>;
  artifacts: string[];
  questions: string[];
  /** Resolves with the first progress report whose text matches. */
  progressMatching(pattern: RegExp): Promise<string>;
}

let dir: string;
/** Pids the scripts reported; each must be gone when its test ends. */
let pids: number[];

/** Timers the worker module started that have neither fired nor been cleared. */
let workerTimers: Set<NodeJS.Timeout>;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'shell-worker-'));
  pids = [];
  workerTimers = new Set();
  const realSetTimeout = globalThis.setTimeout;
  const realClearTimeout = globalThis.clearTimeout;
  // Only timers created from shell-worker.ts count; vitest keeps timers of its own.
  vi.spyOn(globalThis, 'setTimeout').mockImplementation((fn: () => void, ms?: number) => {
    const fromWorker = new Error().stack?.includes('shell-worker.ts') ?? false;
    const timer = realSetTimeout(() => {
      workerTimers.delete(timer);
      fn();
    }, ms);
    if (fromWorker) workerTimers.add(timer);
    return timer;
  });
  vi.spyOn(globalThis, 'clearTimeout').mockImplementation((timer) => {
    workerTimers.delete(timer as NodeJS.Timeout);
    realClearTimeout(timer);
  });
});

const pendingWorkerTimers = (): NodeJS.Timeout[] => [...workerTimers];

afterEach(async () => {
  vi.restoreAllMocks();
  const alive = pids.filter(isAlive);
  for (const pid of alive) process.kill(pid, 'SIGKILL');
  await rm(dir, { recursive: true, force: true });
  expect(alive, 'processes left running').toEqual([]);
});

/**
 * A killed grandchild is reparented to PID 1, and in some containers PID 1 never reaps it; a zombie
 * has stopped running, so it counts as gone.
 */
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

function harness(ask: (q: string) => Promise<string> = async () => 'no answer', task = makeTask()): Harness {
  const controller = new AbortController();
  const progress: Harness['progress'] = [];
  const artifacts: string[] = [];
  const questions: string[] = [];
  const waiters: Array<{ pattern: RegExp; resolve: (text: string) => void }> = [];
  const ctx: WorkerContext = {
    task,
    attempt: 2,
    agentId: 'agent-1',
    workDir: dir,
    signal: controller.signal,
    progress(pct, text) {
      progress.push({ pct, text });
      for (const w of waiters.filter((w) => w.pattern.test(text))) w.resolve(text);
    },
    ask(question) {
      questions.push(question);
      return ask(question);
    },
    artifact(path) {
      artifacts.push(path);
    },
  };
  const progressMatching = (pattern: RegExp): Promise<string> =>
    new Promise((resolve) => waiters.push({ pattern, resolve }));
  return { ctx, controller, progress, artifacts, questions, progressMatching };
}

function run(command: string, h: Harness, options: Partial<ShellWorkerOptions> = {}): Promise<WorkerResult> {
  return createShellWorker({ command, killGraceMs: 30_000, ...options }).run(h.ctx);
}

/** Reads `pid=<n>` pairs out of a progress text and remembers them for the leak check. */
function trackPids(text: string): number[] {
  const found = [...text.matchAll(/pid=(\d+)/g)].map((m) => Number(m[1]));
  pids.push(...found);
  return found;
}

describe('createShellWorker: results', () => {
  it('returns standard output, trimmed at the end, as the result', async () => {
    const h = harness();
    const result = await run(`printf '  first\\nsecond\\n\\n   \\n'`, h);
    expect(result).toEqual({ ok: true, output: '  first\nsecond' });
  });

  it('hands the task over as environment variables and one JSON line on stdin, in the work dir', async () => {
    const probe = join(dir, 'probe.cjs');
    await writeFile(
      probe,
      `const rl = require('node:readline').createInterface({ input: process.stdin });
       rl.once('line', (line) => {
         const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith('SWARM_') || k === 'EXTRA'));
         console.log(JSON.stringify({ env, stdin: JSON.parse(line), cwd: process.cwd() }));
         process.exit(0);
       });`,
    );
    const h = harness();
    const result = await run(`node ${probe}`, h, {
      env: { EXTRA: 'from options', SWARM_TASK_ID: 'overridden?' },
    });
    expect(result.ok).toBe(true);
    const seen = JSON.parse(result.ok ? result.output : '{}');
    expect(seen.env).toEqual({
      EXTRA: 'from options',
      SWARM_TASK_ID: 'T-7',
      SWARM_TASK_TITLE: 'Paint the fence',
      SWARM_TASK_BODY: 'All of it.\nTwice.',
      SWARM_TASK_SKILLS: 'paint,ladder',
      SWARM_TASK_NOTES: 'use blue\nnot the gate',
      SWARM_ATTEMPT: '2',
      SWARM_MAX_ATTEMPTS: '3',
      SWARM_AGENT_ID: 'agent-1',
      SWARM_WORKDIR: dir,
    });
    expect(seen.stdin).toEqual({ task: h.ctx.task, attempt: 2, agentId: 'agent-1', workDir: dir });
    expect(seen.cwd).toBe(dir);
  });

  it('reports an exit code with the end of stderr', async () => {
    const h = harness();
    const result = await run(
      `i=0; while [ $i -lt 30 ]; do echo "err line $i" >&2; i=$((i+1)); done; exit 3`,
      h,
    );
    expect(result.ok).toBe(false);
    const error = result.ok ? '' : result.error;
    expect(error).toMatch(/exited with code 3/);
    expect(error).toContain('err line 29');
    expect(error).toContain('err line 10');
    expect(error).not.toContain('err line 9\n');
    expect(error.length).toBeLessThan(1_700);
  });

  it('falls back to the end of stdout when stderr is empty, and names a killing signal', async () => {
    const h = harness();
    expect(await run(`echo 'half done'; exit 2`, h)).toEqual({
      ok: false,
      error: 'command exited with code 2; last stdout:\nhalf done',
    });
    const killed = await run(`kill -9 $$`, harness());
    expect(killed).toEqual({ ok: false, error: 'command killed by signal SIGKILL' });
  });

  it('resolves with a clear failure when the work dir is missing', async () => {
    const h = harness();
    h.ctx.workDir = join(dir, 'missing');
    const result = await run('echo hi', h);
    expect(result).toEqual({
      ok: false,
      error: expect.stringMatching(/working directory .*missing does not exist/),
    });
  });

  it('caps huge output, keeping its head and tail', async () => {
    const h = harness();
    const result = await run(`echo START; head -c 3000000 /dev/zero | tr '\\0' x; echo; echo END`, h, {
      maxOutputBytes: 10_000,
    });
    expect(result.ok).toBe(true);
    const output = result.ok ? result.output : '';
    expect(output.startsWith('START\nxxx')).toBe(true);
    expect(output.endsWith('xxx\nEND')).toBe(true);
    expect(output).toMatch(/\[… \d+ bytes of output dropped …\]/);
    expect(output.length).toBeLessThan(10_100);
  });

  it('does not choke on binary output, a huge task body or a command that never reads stdin', async () => {
    const h = harness(undefined, makeTask({ body: 'b'.repeat(300_000) }));
    const result = await run(
      `head -c 20000 /dev/urandom; echo; echo '::progress 50 after junk'; echo done`,
      h,
    );
    expect(result.ok).toBe(true);
    expect(result.ok && result.output.endsWith('done')).toBe(true);
    expect(h.progress).toEqual([{ pct: 50, text: 'after junk' }]);
  });
});

describe('createShellWorker: protocol', () => {
  it('turns protocol lines into calls and keeps them out of the result', async () => {
    const h = harness(async (q) => (q === 'Which colour?' ? 'blue\nwith white trim' : 'unexpected'));
    const script = [
      `echo '::progress 10% starting'`,
      `echo 'first line'`,
      `echo '::artifact out/report.txt'`,
      `echo '::log only for the logs'`,
      `echo ':not a prefix'`,
      `printf '::progress halfway\\r\\n'`,
      `read -r task`,
      `echo '::ask Which colour?'`,
      `read -r answer`,
      `echo "answer: $answer"`,
    ].join('\n');
    const result = await run(script, h);
    expect(result).toEqual({ ok: true, output: 'first line\n:not a prefix\nanswer: blue with white trim' });
    expect(h.progress).toEqual([
      { pct: 10, text: 'starting' },
      { pct: null, text: 'halfway' },
    ]);
    expect(h.artifacts).toEqual(['out/report.txt']);
    expect(h.questions).toEqual(['Which colour?']);
  });

  it('writes answers in the order the questions were asked', async () => {
    let releaseFirst!: (answer: string) => void;
    const h = harness((q) =>
      q === 'one?' ? new Promise((resolve) => (releaseFirst = resolve)) : Promise.resolve('second answer'),
    );
    const pending = run(
      `echo '::ask one?'; echo '::ask two?'; read -r task; read -r a; read -r b; echo "$a / $b"`,
      h,
    );
    await expect.poll(() => h.questions.length).toBe(2);
    // Let the second answer settle before the first.
    await new Promise((resolve) => setImmediate(resolve));
    releaseFirst('first answer');
    expect(await pending).toEqual({ ok: true, output: 'first answer / second answer' });
  });

  it('does not ask a question once the command has exited', async () => {
    const h = harness();
    expect(await run(`printf '::ask anyone there?'`, h)).toEqual({ ok: true, output: '' });
    expect(h.questions).toEqual([]);
  });

  it('keeps going when a context callback throws', async () => {
    const h = harness();
    h.ctx.progress = () => {
      throw new Error('fenced');
    };
    expect(await run(`echo '::progress 1 x'; echo fine`, h)).toEqual({ ok: true, output: 'fine' });
  });
});

describe('createShellWorker: stopping', () => {
  it('does not start when the signal is already aborted', async () => {
    const h = harness();
    h.controller.abort('cancelled by u1');
    const result = await run(`touch started`, h);
    expect(result).toEqual({ ok: false, error: 'stopped: cancelled by u1' });
    expect(existsSync(join(dir, 'started'))).toBe(false);
  });

  it('sends SIGTERM to the group on abort and lets the command clean up', async () => {
    const h = harness();
    const script = `trap 'echo got-term > term.log; exit 0' TERM
      echo "::progress ready pid=$$"
      while :; do sleep 0.1; done`;
    const pending = run(script, h);
    const [pid] = trackPids(await h.progressMatching(/ready/));
    h.controller.abort(new Error('timed out'));
    expect(await pending).toEqual({ ok: false, error: 'stopped: Error: timed out' });
    expect(await readFile(join(dir, 'term.log'), 'utf8')).toBe('got-term\n');
    expect(isAlive(pid!)).toBe(false);
    expect(pendingWorkerTimers(), 'the SIGKILL timer is cleared').toEqual([]);
    expect(getEventListeners(h.controller.signal, 'abort')).toHaveLength(0);
  });

  it('SIGKILLs a group that ignores SIGTERM after the grace period, grandchildren included', async () => {
    const h = harness();
    const script = `trap '' TERM
      sleep 1000 &
      echo "::progress ready pid=$$ pid=$!"
      wait`;
    const pending = run(script, h, { killGraceMs: 300 });
    const found = trackPids(await h.progressMatching(/ready/));
    expect(found).toHaveLength(2);
    h.controller.abort();
    const result = await pending;
    expect(result).toEqual({ ok: false, error: expect.stringMatching(/^stopped: AbortError/) });
    // A process that closed its pipes may still be finishing its exit for a moment.
    await expect.poll(() => found.filter(isAlive), { timeout: 2_000 }).toEqual([]);
  });

  it('kills the grandchildren of a command that finished on its own', async () => {
    const h = harness();
    const result = await run(`sleep 1000 & echo "::progress bg pid=$!"; echo done`, h);
    expect(result).toEqual({ ok: true, output: 'done' });
    const found = trackPids(h.progress[0]?.text ?? '');
    expect(found).toHaveLength(1);
    // SIGKILL is delivered asynchronously: give the kernel a moment, not the 1000 s of the sleep.
    await expect.poll(() => found.filter(isAlive), { timeout: 2_000 }).toEqual([]);
  });

  it('leaves no listener, timer or process handle behind', async () => {
    const countHandles = () =>
      process.getActiveResourcesInfo().filter((r) => r === 'ProcessWrap' || r === 'PipeWrap').length;
    const before = countHandles();
    const h = harness();
    expect(await run(`echo ok`, h)).toEqual({ ok: true, output: 'ok' });
    // Pipe handles finish closing a loop turn or two later; a leak would never get back down.
    await expect.poll(countHandles, { timeout: 10_000 }).toBe(before);
    expect(pendingWorkerTimers()).toEqual([]);
    expect(getEventListeners(h.controller.signal, 'abort')).toHaveLength(0);
  });
});
