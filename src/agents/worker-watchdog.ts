import { spawn, type ChildProcess } from 'node:child_process';
import type { Logger } from '../core/logger.ts';

/**
 * The watchdog's script. Its standard input is a pipe whose write end only the agent holds. The agent
 * writes `+<group>` when a worker's process group starts and `-<group>` when it is over; the kernel
 * closes the write end when the agent exits, however it exits (kill -9 included). At end of file
 * the watchdog stops every group still listed: SIGTERM, the grace (`$1`, whole seconds), SIGKILL.
 * One watchdog serves all of a process's workers, so a task costs one fork, not two.
 */
const SCRIPT = [
  "groups=' '",
  'while read -r line; do',
  '  pg=${line#?}',
  '  case "$pg" in ""|*[!0-9]*) continue;; esac',
  '  case "$line" in',
  '    +*) groups="$groups$pg ";;',
  '    -*) case "$groups" in *" $pg "*) groups="${groups%% $pg *} ${groups#* $pg }";; esac;;',
  '  esac',
  'done',
  '[ "$groups" = " " ] && exit 0',
  'for pg in $groups; do kill -TERM -"$pg" 2>/dev/null; done',
  'sleep "$1"',
  'for pg in $groups; do kill -KILL -"$pg" 2>/dev/null; done',
  'exit 0',
].join('\n');

/** The watch on one worker; `stop` ends it without touching the worker (the attempt ended normally). */
export interface WorkerWatchdog {
  /** The shared watchdog process watching this worker. */
  readonly pid: number | undefined;
  /**
   * Arms the watchdog for the worker's process group; `armed` is called once the group id reached
   * the watchdog (true), or when there is no watchdog to arm (false).
   */
  watch(pgid: number, armed: (ok: boolean) => void): void;
  stop(): void;
}

/** This process's watchdogs, one per grace period, started when first needed. */
const shared = new Map<string, ChildProcess>();

function sharedWatchdog(graceSeconds: string, log: Logger): ChildProcess {
  const running = shared.get(graceSeconds);
  // A watchdog that exited (killed by someone) is replaced: its groups are no longer watched, and
  // their workers' own ends are near.
  if (running && running.exitCode === null && running.signalCode === null && running.stdin?.writable)
    return running;
  const child = spawn('/bin/sh', ['-c', SCRIPT, 'chat-swarm-watchdog', graceSeconds], {
    // Its own process group: a Ctrl-C on the agent's terminal does not end it first.
    detached: true,
    stdio: ['pipe', 'ignore', 'ignore'],
  });
  child.on('error', (err) => log.warn('worker watchdog could not start', { error: err.message }));
  child.stdin?.on('error', () => undefined);
  // Neither the process nor its pipe keeps this process alive; the pipe closing is the signal.
  child.unref();
  (child.stdin as unknown as { unref?: () => void } | null)?.unref?.();
  shared.set(graceSeconds, child);
  return child;
}

/**
 * Watches a worker that is about to be spawned (so no moment passes in which it runs unwatched),
 * once armed with its process group id: from then on the worker dies within the grace period when
 * this process dies. The watchdog is a tiny `/bin/sh` shared by this process's workers, in a process
 * group of its own, that costs nothing while it waits. Limits: a worker that leaves its process
 * group (setsid, a double fork into a new session) escapes it; only running workers in a container
 * or cgroup closes that.
 */
export function startWorkerWatchdog(graceMs: number, log: Logger): WorkerWatchdog {
  const graceSeconds = String(Math.max(1, Math.ceil(graceMs / 1000)));
  const child = sharedWatchdog(graceSeconds, log);
  let watched: number | undefined;
  let stopped = false;
  return {
    pid: child.pid,
    watch(pgid, armed) {
      const stdin = child.stdin;
      if (stopped || child.pid === undefined || !stdin || stdin.destroyed) return armed(false);
      watched = pgid;
      // The callback runs once the line is in the kernel's pipe: from then on the watchdog has it.
      stdin.write(`+${pgid}\n`, (err) => armed(!err));
    },
    stop() {
      if (stopped) return;
      stopped = true;
      const stdin = child.stdin;
      if (watched !== undefined && stdin && !stdin.destroyed) stdin.write(`-${watched}\n`);
    },
  };
}

/**
 * Closes the input of this process's watchdogs, as this process's death would: each stops the groups
 * it still watches, then exits. For tests of the watchdog itself.
 */
export function endWorkerWatchdogs(): void {
  for (const child of shared.values()) child.stdin?.end();
  shared.clear();
}
