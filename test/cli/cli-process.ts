import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const TSX = pathToFileURL(join(ROOT, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;
const MAIN = join(ROOT, 'src', 'cli', 'main.ts');

/**
 * Runs the real CLI (through tsx) in `cwd`, which spawnCli cannot choose; standard input is a pipe
 * when `stdin` text is given, closed otherwise; `user` runs it as another user (when root).
 */
export function spawnCliIn(
  cwd: string,
  args: string[],
  options: { env?: NodeJS.ProcessEnv; stdin?: string; user?: { uid: number; gid: number } } = {},
): ChildProcess {
  const child = spawn(process.execPath, ['--import', TSX, MAIN, ...args], {
    cwd,
    ...options.user,
    env: { ...process.env, SWARM_DB: '', SWARM_CONFIG: '', ...options.env },
    stdio: [options.stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
  });
  if (options.stdin !== undefined) child.stdin?.end(options.stdin);
  return child;
}

/** A fake terminal for in-process `main(argv, io)`: collects output, runs in `cwd`, `stdin` as given. */
export function fakeIo(options: { env?: Record<string, string>; cwd?: string; stdin?: string } = {}) {
  const out: string[] = [];
  const err: string[] = [];
  return {
    io: {
      out: (t: string) => out.push(t),
      err: (t: string) => err.push(t),
      env: { ...options.env },
      ...(options.cwd !== undefined ? { cwd: options.cwd } : {}),
      readStdin: () => Promise.resolve(options.stdin ?? ''),
    },
    out,
    err,
    /** Everything written to stdout, one string. */
    stdout: () => out.join('\n'),
    stderr: () => err.join('\n'),
  };
}
