import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collect } from '../support/spawn-ts.ts';
import { waitFor } from '../support/wait-for.ts';
import { installPackedPackage, type PackedInstall } from './packed-package.ts';

const version = (JSON.parse(readFileSync('package.json', 'utf8')) as { version: string }).version;

const showTask = (json: string): { status: string; result: string | null } =>
  (JSON.parse(json) as { task: { status: string; result: string | null } }).task;

let packed: PackedInstall;
let work: string;

/** Runs the installed command in the work folder, outside the checkout, with no tokens around. */
function run(args: string[], cwd = work): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(packed.bin, args, {
    cwd,
    encoding: 'utf8',
    env: { PATH: process.env.PATH, HOME: work, CI: '1' },
    timeout: 60_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Starts the installed command in `cwd` without waiting for it. */
function start(cwd: string, args: string[]): ChildProcess {
  return spawn(packed.bin, args, {
    cwd,
    env: { PATH: process.env.PATH, HOME: work, CI: '1', USER: 'assistant' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

beforeAll(() => {
  packed = installPackedPackage();
  work = join(packed.dir, 'work');
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work);
}, 300_000);

afterAll(() => {
  if (!process.env.CHAT_SWARM_PACKED_DIR) rmSync(join(packed.dir, '..'), { recursive: true, force: true });
});

describe('the packed package, installed outside the checkout', () => {
  it('ships compiled JavaScript, not the TypeScript sources or the tests', () => {
    const pkgDir = join(packed.dir, 'node_modules', 'chat-swarm');
    expect(existsSync(join(pkgDir, 'dist', 'src', 'cli', 'main.js'))).toBe(true);
    expect(existsSync(join(pkgDir, 'src'))).toBe(false);
    expect(existsSync(join(pkgDir, 'test'))).toBe(false);
    // No TypeScript loader is needed at run time.
    expect(existsSync(join(packed.dir, 'node_modules', 'tsx'))).toBe(false);
  });

  it('answers --version and help', () => {
    expect(run(['--version'])).toMatchObject({ code: 0, stdout: `chat-swarm ${version}\n` });
    const help = run(['help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('usage: chat-swarm <command>');
  });

  it('runs the demo to the end', () => {
    const demo = run(['demo']);
    expect(demo.stderr).toBe('');
    expect(demo.code).toBe(0);
  });

  it('init, task add, then up runs the task to done', async () => {
    expect(run(['init']).code).toBe(0);
    expect(existsSync(join(work, 'chat-swarm.json'))).toBe(true);
    const added = run(['task', 'add', 'write the changelog', '--skills', 'docs', '--json']);
    expect(added.code).toBe(0);
    const id = (JSON.parse(added.stdout) as { task: { id: string } }).task.id;

    const up = spawn(packed.bin, ['up'], {
      cwd: work,
      env: { PATH: process.env.PATH, HOME: work, CI: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const ended = collect(up);
    try {
      await waitFor(
        `${id} done`,
        () => {
          const shown = run(['task', 'show', id, '--json']);
          return shown.code === 0 && showTask(shown.stdout).status === 'done';
        },
        60_000,
        500,
      );
    } finally {
      up.kill('SIGINT');
    }
    const result = await ended;
    expect(result.code).toBe(0);
    const shown = showTask(run(['task', 'show', id, '--json']).stdout);
    expect(shown.result).toContain('wrote: write the changelog');
  }, 120_000);

  it('as an assistant drives it: task add --key --wait, an agent asks, task answer from a third process', async () => {
    const dir = join(work, 'assistant');
    mkdirSync(dir);
    const waiting = collect(
      start(dir, [
        'task',
        'add',
        'Paint the fence',
        '--key',
        'FENCE-1',
        '--skills',
        'paint',
        '--wait',
        '--json',
      ]),
    );
    // The agent asks on stdout and reads the answer on stdin (after the task's JSON line).
    const agent = start(dir, [
      'agent',
      'painter-001',
      '--skills',
      'paint',
      '--command',
      'read -r task; echo "::ask Which colour?"; read -r colour; echo "painted the fence $colour"',
    ]);
    const agentEnded = collect(agent);
    try {
      // `task add` runs beside us: wait until it has created the task before asking about it.
      await waitFor('FENCE-1 created', () => run(['task', 'show', 'FENCE-1'], dir).code === 0, 60_000, 200);
      // The caller learns that a person is needed from the CLI itself.
      const person = await collect(
        start(dir, ['task', 'wait', 'FENCE-1', '--until-person', '--timeout', '60s', '--json']),
      );
      expect(person.code, person.stderr).toBe(6);
      expect(JSON.parse(person.stdout)).toMatchObject({
        tasks: [{ id: 'FENCE-1', status: 'blocked', question: 'Which colour?' }],
      });
      const answered = await collect(start(dir, ['task', 'answer', 'FENCE-1', 'teal']));
      expect(answered.code, answered.stderr).toBe(0);
      const result = await waiting;
      expect(result.code, result.stderr).toBe(0);
      expect(JSON.parse(result.stdout)).toMatchObject({
        db: join(dir, 'swarm.db'),
        created: true,
        outcome: 'done',
        task: { id: 'FENCE-1', status: 'done', result: expect.stringContaining('painted the fence teal') },
      });
      const again = await collect(
        start(dir, ['task', 'add', 'Paint the fence', '--key', 'FENCE-1', '--skills', 'paint', '--json']),
      );
      expect(again.code).toBe(0);
      expect(JSON.parse(again.stdout)).toMatchObject({
        created: false,
        task: { id: 'FENCE-1', status: 'done' },
      });
      expect(again.stderr).toBe('');
    } finally {
      agent.kill('SIGTERM');
    }
    expect((await agentEnded).code).toBe(0);
  }, 120_000);

  it('answers version through main too, and help lists the commands', () => {
    expect(run(['version'])).toMatchObject({ code: 0, stdout: `chat-swarm ${version}\n` });
    const help = run(['help']);
    for (const cmd of ['task wait', 'task answer', 'pause', 'prune', 'where'])
      expect(help.stdout).toContain(cmd);
  });

  it('serves the web board with its front end from the installed package', async () => {
    const board = spawn(packed.bin, ['board', '--port', '0'], {
      cwd: work,
      env: { PATH: process.env.PATH, HOME: work, CI: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let printed = '';
    board.stdout.on('data', (d: Buffer) => (printed += d.toString()));
    const ended = collect(board);
    try {
      const url = await waitFor(
        'the board URL',
        () => /board: (http:\/\/\S+\/)/.exec(printed)?.[1],
        30_000,
        100,
      );
      const page = await fetch(url);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('src="/assets/app.js"');
      for (const asset of ['app.js', 'board.css', 'render-board.js'])
        expect((await fetch(`${url}assets/${asset}`)).status, asset).toBe(200);
      expect((await fetch(`${url}api/board`)).status).toBe(200);
    } finally {
      board.kill('SIGINT');
    }
    expect((await ended).code).toBe(0);
  }, 60_000);
});
