import { spawn } from 'node:child_process';
import type { Logger } from '../core/logger.ts';

/**
 * The watchdog's script. Its standard input is a pipe whose write end only the agent holds: first
 * the agent writes the worker's process group id, then nothing; the kernel closes that end when the
 * agent exits, however it exits (kill -9 included). At end of file it stops the group: SIGTERM, the
 * grace (`$1`, whole seconds), SIGKILL.
 */
const SCRIPT = [
  'read -r pg || exit 0',
  'case "$pg" in ""|*[!0-9]*) exit 0;; esac',
  'while read -r _; do :; done',
  'kill -TERM -"$pg" 2>/dev/null || exit 0',
  'sleep "$1"',
  'kill -KILL -"$pg" 2>/dev/null',
  'exit 0',
].join('\n');

/** A running watchdog; `stop` ends it without touching the worker (the attempt ended normally). */
export interface WorkerWatchdog {
  readonly pid: number | undefined;
  /**
   * Arms the watchdog for the worker's process group; `armed` is called once the group id reached
   * the watchdog (true), or when there is no watchdog to arm (false).
   */
  watch(pgid: number, armed: (ok: boolean) => void): void;
  stop(): void;
}

/**
 * Starts a watchdog before a worker is spawned (so no moment passes in which the worker runs
 * unwatched), to be armed with the worker's process group id; from then on the worker dies within
 * the grace period when this process dies. The watchdog is a tiny `/bin/sh` in a process group of
 * its own (a Ctrl-C on the agent's terminal does not end it first) that costs nothing while it waits.
 * Limits: a worker that leaves its process group (setsid, a double fork into a new session) escapes
 * it; only running workers in a container or cgroup closes that.
 */
export function startWorkerWatchdog(graceMs: number, log: Logger): WorkerWatchdog {
  const graceSeconds = String(Math.max(1, Math.ceil(graceMs / 1000)));
  const child = spawn('/bin/sh', ['-c', SCRIPT, 'chat-swarm-watchdog', graceSeconds], {
    detached: true,
    stdio: ['pipe', 'ignore', 'ignore'],
  });
  child.on('error', (err) => log.warn('worker watchdog could not start', { error: err.message }));
  child.stdin?.on('error', () => undefined);
  child.unref();
  let stopped = false;
  return {
    pid: child.pid,
    watch(pgid, armed) {
      const stdin = child.stdin;
      if (stopped || child.pid === undefined || !stdin || stdin.destroyed) return armed(false);
      // The callback runs once the line is in the kernel's pipe: from then on the watchdog has it.
      stdin.write(`${pgid}\n`, (err) => armed(!err));
    },
    stop() {
      if (stopped) return;
      stopped = true;
      if (child.pid !== undefined) {
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {
          // Already gone.
        }
      }
      child.stdin?.destroy();
    },
  };
}
