import { spawn, spawnSync } from 'node:child_process';
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
function run(args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(packed.bin, args, {
    cwd: work,
    encoding: 'utf8',
    env: { PATH: process.env.PATH, HOME: work, CI: '1' },
    timeout: 60_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
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
