import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { existsSync } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import type { Readable, Writable } from 'node:stream';
import type { Logger } from '../core/logger.ts';
import { startWorkerWatchdog } from './worker-watchdog.ts';

/** One worker process to run: what to exec, where, with what, and who reads its output. */
export interface WorkerProcessOptions {
  /** The program and its arguments; exec'd (no shell) once the watchdog is armed. */
  argv: readonly [string, ...string[]];
  cwd: string;
  /** The whole environment (built from an allowlist by the caller: see `toShellEnv`). */
  env: Record<string, string>;
  /** Written to standard input at start. */
  stdin: string;
  /** End standard input after `stdin` (a CLI that reads its prompt to the end); else it stays open. */
  closeStdin: boolean;
  /** Aborting it stops the process group: SIGTERM, then SIGKILL after `killGraceMs`. */
  signal: AbortSignal;
  killGraceMs: number;
  log: Logger;
  /** Log fields that name the attempt. */
  fields: Record<string, unknown>;
  /** Decoded standard output, in order, as it arrives (and its last bytes at the end). */
  onStdout(text: string): void;
  /** Called on every chunk of output (stdout or stderr): the process is alive. */
  onActivity?(): void;
}

/** How a worker process ended. */
export type WorkerProcessEnd =
  | { kind: 'start-failed'; error: string }
  | {
      kind: 'ended';
      code: number | null;
      signal: NodeJS.Signals | null;
      /** The abort reason when the process was stopped (cancel, timeout, …), else null. */
      stopReason: string | null;
      /** The end of standard error, for the failure message. */
      stderrTail: string;
    };

/** A running worker process. */
export interface WorkerProcess {
  /** Writes to standard input unless the process has exited or stdin was closed. */
  write(text: string): void;
  /** True once the process has exited (its stdin is closed then). */
  readonly exited: boolean;
  /** Resolves once the process and its output are done, and nothing of its group is left. */
  readonly done: Promise<WorkerProcessEnd>;
}

/**
 * What the worker's shell runs first: it waits on descriptor 3 for `go`, written once the watchdog
 * holds the group id, closes it and becomes the program (same pid and process group). So no worker
 * ever runs unwatched, even if this process dies right after the spawn.
 */
const GATE = 'IFS= read -r go <&3 && [ "$go" = go ] || exit 125; exec 3<&-; exec "$@"';

/** After the process exits, how long to wait for its output pipes to close before giving up on them. */
const EXIT_DRAIN_MS = 2_000;
/** Standard error is only kept for the failure message, so only its end matters. */
const STDERR_KEEP_CHARS = 16_384;

type Child = ChildProcessByStdio<Writable, Readable, Readable>;

/** The abort reason as text: strings as they are, errors as `Name: message`, anything else as JSON. */
export function reasonText(reason: unknown): string {
  if (reason === undefined) return 'aborted';
  if (typeof reason === 'string') return reason;
  if (reason instanceof Error) return String(reason);
  try {
    // JSON.stringify gives undefined for functions and symbols despite its declared type.
    const json: string | undefined = JSON.stringify(reason);
    return json ?? 'aborted';
  } catch {
    return 'aborted';
  }
}

function startFailure(err: unknown, workDir: string): string {
  if (!existsSync(workDir)) return `could not start command: working directory ${workDir} does not exist`;
  return `could not start command in ${workDir}: ${err instanceof Error ? err.message : String(err)}`;
}

/**
 * Runs one worker process in a process group of its own, watched by a watchdog that stops the group
 * if this process dies (see worker-watchdog.ts). When the process exits, whatever it left running in
 * its group is killed; when `signal` aborts, the group gets SIGTERM, then SIGKILL after the grace.
 * Shared by the shell worker and the agent presets, so every worker is stopped the same way.
 */
export function startWorkerProcess(options: WorkerProcessOptions): WorkerProcess {
  const { signal, log, fields, cwd } = options;
  let exit: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  let child: Child | undefined;
  const proc: WorkerProcess = {
    write(text) {
      if (!exit && child && !child.stdin.destroyed && child.stdin.writable) child.stdin.write(text);
    },
    get exited() {
      return exit !== null;
    },
    done: new Promise<WorkerProcessEnd>((resolve) => {
      if (signal.aborted) {
        resolve({
          kind: 'ended',
          code: null,
          signal: null,
          stopReason: reasonText(signal.reason),
          stderrTail: '',
        });
        return;
      }
      // Started first, so that the worker never runs unwatched: if this process dies, it stops the group.
      const watchdog = startWorkerWatchdog(options.killGraceMs, log);
      try {
        child = spawn('/bin/sh', ['-c', GATE, 'chat-swarm-worker', ...options.argv], {
          cwd,
          env: options.env,
          detached: true, // own process group, so signals reach the whole tree
          stdio: ['pipe', 'pipe', 'pipe', 'pipe'],
        });
      } catch (err) {
        watchdog.stop();
        resolve({ kind: 'start-failed', error: startFailure(err, cwd) });
        return;
      }
      const c = child;
      const gate = c.stdio[3] as Writable | null | undefined;
      gate?.on('error', () => undefined);
      if (c.pid !== undefined)
        watchdog.watch(c.pid, (armed) => {
          if (!armed) log.warn('worker: running without a watchdog', fields);
          gate?.end('go\n');
        });
      // Out of file descriptors, Node returns a child without pipes and reports the error afterwards.
      if (!c.stdin || !c.stdout || !c.stderr) {
        watchdog.stop();
        c.once('error', (err) => resolve({ kind: 'start-failed', error: startFailure(err, cwd) }));
        return;
      }

      const stdoutDecoder = new StringDecoder('utf8');
      const stderrDecoder = new StringDecoder('utf8');
      let stderrTail = '';
      let settled = false;
      let stopReason: string | null = null;
      let killSent = false;
      let killTimer: NodeJS.Timeout | undefined;
      let drainTimer: NodeJS.Timeout | undefined;

      const signalGroup = (sig: NodeJS.Signals): void => {
        if (c.pid === undefined) return;
        try {
          process.kill(-c.pid, sig);
        } catch {
          // ESRCH: the group is already gone.
        }
      };
      const armDrain = (): void => {
        drainTimer ??= setTimeout(() => finish(), EXIT_DRAIN_MS);
      };
      const onAbort = (): void => {
        if (exit || settled || stopReason !== null) return;
        stopReason = reasonText(signal.reason);
        log.debug('worker: stopping', { ...fields, reason: stopReason });
        signalGroup('SIGTERM');
        killTimer = setTimeout(() => {
          killSent = true;
          signalGroup('SIGKILL');
          if (exit) armDrain();
        }, options.killGraceMs);
      };

      function finish(startError?: Error): void {
        if (settled) return;
        settled = true;
        clearTimeout(killTimer);
        clearTimeout(drainTimer);
        signal.removeEventListener('abort', onAbort);
        // The attempt is over: nothing of it may outlive this promise.
        signalGroup('SIGKILL');
        watchdog.stop();
        gate?.destroy();
        c.stdin.destroy();
        c.stdout.destroy();
        c.stderr.destroy();
        if (startError) return resolve({ kind: 'start-failed', error: startFailure(startError, cwd) });
        const rest = stdoutDecoder.end();
        if (rest) options.onStdout(rest);
        stderrTail += stderrDecoder.end();
        resolve({
          kind: 'ended',
          code: exit?.code ?? null,
          signal: exit?.signal ?? null,
          stopReason,
          stderrTail,
        });
      }

      c.stdout.on('data', (chunk: Buffer) => {
        options.onActivity?.();
        options.onStdout(stdoutDecoder.write(chunk));
      });
      c.stderr.on('data', (chunk: Buffer) => {
        options.onActivity?.();
        stderrTail = (stderrTail + stderrDecoder.write(chunk)).slice(-STDERR_KEEP_CHARS);
      });
      // EPIPE when the program exits without reading everything; nothing to do about it.
      c.stdin.on('error', (err) => log.debug('worker: stdin error', { ...fields, error: err.message }));
      c.on('error', (err) => {
        if (c.pid === undefined) finish(err);
        else log.warn('worker: process error', { ...fields, error: err.message });
      });
      c.on('exit', (code, sig) => {
        exit = { code, signal: sig };
        c.stdin.destroy();
        if (stopReason === null) {
          // Leftovers of a finished program would hold the pipes open and outlive the attempt.
          signalGroup('SIGKILL');
          armDrain();
        } else if (killSent) {
          armDrain();
        }
      });
      c.on('close', () => finish());
      signal.addEventListener('abort', onAbort, { once: true });

      if (c.pid !== undefined)
        log.debug('worker: started', { ...fields, pid: c.pid, watchdogPid: watchdog.pid });
      if (options.stdin) c.stdin.write(options.stdin);
      if (options.closeStdin) c.stdin.end();
    }),
  };
  return proc;
}
