import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { existsSync } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import type { Readable, Writable } from 'node:stream';
import { silentLogger, type Logger } from '../core/logger.ts';
import { createOutputCapture, tailOfText } from './shell-output-capture.ts';
import { toShellEnv, toTaskStdinLine } from './shell-task-env.ts';
import type { Worker, WorkerContext, WorkerResult } from './worker.ts';
import { startWorkerWatchdog } from './worker-watchdog.ts';
import { createProtocolParser, toAnswerLine, type ParsedLine } from './worker-protocol.ts';

/** How the built-in worker runs its command. */
export interface ShellWorkerOptions {
  /** Command line, run with `/bin/sh -c` in the task's working directory. */
  command: string;
  /** Fixed environment variables (`agents[].env`); the whole rule is at `toShellEnv`. */
  env?: Record<string, string>;
  /** Names of variables copied from this process's environment (`agents[].passEnv`). */
  passEnv?: readonly string[];
  /** Names never passed to the command, even when listed (every `tokenEnv` of the config). */
  withheldEnv?: readonly string[];
  /** Delay between SIGTERM and SIGKILL when an attempt is stopped. */
  killGraceMs?: number;
  /** Cap on captured result output (UTF-8 bytes); beyond it the head and the tail are kept. */
  maxOutputBytes?: number;
  log?: Logger;
}

/** Defaults for the optional settings of {@link ShellWorkerOptions}. */
export const DefaultShellWorkerOptions = {
  killGraceMs: 5_000,
  maxOutputBytes: 1_048_576,
} as const satisfies Partial<ShellWorkerOptions>;

/**
 * What the worker's shell runs first: it waits on descriptor 3 for `go`, written once the watchdog
 * holds the group id, closes it and becomes the configured command (same pid and process group).
 * So no command ever runs unwatched, even if this process dies right after the spawn.
 */
const GATE = 'IFS= read -r go <&3 && [ "$go" = go ] || exit 125; exec 3<&-; exec /bin/sh -c "$1"';

/** After the command exits, how long to wait for its output pipes to close before giving up on them. */
const EXIT_DRAIN_MS = 2_000;
/** Standard error is only kept for the failure message, so only its end matters. */
const STDERR_KEEP_CHARS = 16_384;
const ERROR_TAIL_LINES = 20;
const ERROR_TAIL_CHARS = 1_500;

type Child = ChildProcessByStdio<Writable, Readable, Readable>;

/**
 * Creates the built-in worker: one `/bin/sh -c` process group per attempt. The task arrives as
 * SWARM_* variables and one JSON line on stdin; stdout is the result except protocol lines (see
 * worker-protocol.ts); an answer to `::ask` is written to stdin as one line, line breaks turned into
 * spaces. When the command exits, whatever it left running in its process group is killed; when
 * this process dies, a watchdog kills the group (see worker-watchdog.ts for the limits).
 */
export function createShellWorker(options: ShellWorkerOptions): Worker {
  const settings = {
    command: options.command,
    env: options.env ?? {},
    passEnv: options.passEnv ?? [],
    withheldEnv: options.withheldEnv ?? [],
    killGraceMs: options.killGraceMs ?? DefaultShellWorkerOptions.killGraceMs,
    maxOutputBytes: options.maxOutputBytes ?? DefaultShellWorkerOptions.maxOutputBytes,
    log: options.log ?? silentLogger,
  };
  return { run: (ctx) => runAttempt(settings, ctx) };
}

type Settings = Required<ShellWorkerOptions>;

function runAttempt(settings: Settings, ctx: WorkerContext): Promise<WorkerResult> {
  const { signal, workDir } = ctx;
  const { log } = settings;
  const fields = { taskId: ctx.task.id, attempt: ctx.attempt };
  if (signal.aborted) return Promise.resolve(stopped(signal.reason));

  return new Promise<WorkerResult>((resolve) => {
    // Started first, so that the worker never runs unwatched: if this process dies, it stops the group.
    const watchdog = startWorkerWatchdog(settings.killGraceMs, log);
    let child: Child;
    try {
      child = spawn('/bin/sh', ['-c', GATE, 'chat-swarm-worker', settings.command], {
        cwd: workDir,
        env: toShellEnv(ctx, {
          env: settings.env,
          passEnv: settings.passEnv,
          withheld: settings.withheldEnv,
        }),
        detached: true, // own process group, so signals reach the whole tree
        stdio: ['pipe', 'pipe', 'pipe', 'pipe'],
      });
    } catch (err) {
      watchdog.stop();
      resolve({ ok: false, error: startFailure(err, workDir) });
      return;
    }
    const gate = child.stdio[3] as Writable | null | undefined;
    gate?.on('error', () => undefined);
    if (child.pid !== undefined)
      watchdog.watch(child.pid, (armed) => {
        if (!armed) log.warn('shell worker: running without a watchdog', fields);
        gate?.end('go\n');
      });
    // Out of file descriptors, Node returns a child without pipes and reports the error afterwards.
    if (!child.stdin || !child.stdout || !child.stderr) {
      watchdog.stop();
      child.once('error', (err) => resolve({ ok: false, error: startFailure(err, workDir) }));
      return;
    }

    const parser = createProtocolParser();
    const output = createOutputCapture(settings.maxOutputBytes);
    const stdoutDecoder = new StringDecoder('utf8');
    const stderrDecoder = new StringDecoder('utf8');
    let stderrTail = '';
    let answers = Promise.resolve();
    let settled = false;
    let exit: { code: number | null; signal: NodeJS.Signals | null } | null = null;
    let stopReason: string | null = null;
    let killSent = false;
    let killTimer: NodeJS.Timeout | undefined;
    let drainTimer: NodeJS.Timeout | undefined;

    const signalGroup = (sig: NodeJS.Signals): void => {
      if (child.pid === undefined) return;
      try {
        process.kill(-child.pid, sig);
      } catch {
        // ESRCH: the group is already gone.
      }
    };
    const guarded = (what: string, fn: () => void): void => {
      try {
        fn();
      } catch (err) {
        log.warn(`shell worker: ${what} callback threw`, { ...fields, error: String(err) });
      }
    };
    const armDrain = (): void => {
      drainTimer ??= setTimeout(() => finish(), EXIT_DRAIN_MS);
    };

    const ask = (question: string): void => {
      // Nobody would read the answer: stdin is closed once the command has exited.
      if (exit) return log.debug('shell worker: question after exit ignored', { ...fields, question });
      let pending: Promise<string>;
      try {
        pending = ctx.ask(question);
      } catch (err) {
        log.warn('shell worker: ask threw', { ...fields, error: String(err) });
        return;
      }
      // Marked handled now: a refused question rejects before its turn in the chain below comes.
      pending.catch(() => undefined);
      // Answers go out in the order the questions were asked, whatever order they resolve in.
      answers = answers
        .then(async () => {
          const answer = await pending;
          if (!exit && !settled) child.stdin.write(toAnswerLine(answer));
        })
        // A refused question is reported by the runtime, once; not one warning per line here.
        .catch((err: unknown) =>
          log.debug('shell worker: question not answered', { ...fields, error: String(err) }),
        );
    };
    const handle = (line: ParsedLine): void => {
      switch (line.kind) {
        case 'output':
          output.append(line.eol ? line.text + '\n' : line.text);
          break;
        case 'progress':
          guarded('progress', () => ctx.progress(line.pct, line.text));
          break;
        case 'artifact':
          guarded('artifact', () => ctx.artifact(line.path));
          break;
        case 'ask':
          ask(line.question);
          break;
        case 'log':
          log.debug('shell worker log', { ...fields, text: line.text });
          break;
        case 'usage':
          guarded('usage', () => ctx.usage?.(line.report));
          break;
        case 'bad-usage':
          log.warn('shell worker: ::usage line ignored', { ...fields, problem: line.problem });
          break;
        case 'session':
          guarded('session', () => ctx.session?.(line.id));
          break;
      }
    };

    const onAbort = (): void => {
      if (exit || settled || stopReason !== null) return;
      stopReason = reasonText(signal.reason);
      log.debug('shell worker: stopping', { ...fields, reason: stopReason });
      signalGroup('SIGTERM');
      killTimer = setTimeout(() => {
        killSent = true;
        signalGroup('SIGKILL');
        if (exit) armDrain();
      }, settings.killGraceMs);
    };

    const outcome = (): WorkerResult => {
      if (stopReason !== null) return stopped(stopReason);
      if (exit?.code === 0) return { ok: true, output: output.text().trimEnd() };
      const what = exit?.signal ? `killed by signal ${exit.signal}` : `exited with code ${exit?.code ?? '?'}`;
      const [label, text] = stderrTail.trim() ? ['stderr', stderrTail] : ['stdout', output.text()];
      const tail = tailOfText(text, ERROR_TAIL_LINES, ERROR_TAIL_CHARS);
      return { ok: false, error: tail ? `command ${what}; last ${label}:\n${tail}` : `command ${what}` };
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
      child.stdin.destroy();
      child.stdout.destroy();
      child.stderr.destroy();
      if (startError) return resolve({ ok: false, error: startFailure(startError, workDir) });
      for (const line of parser.push(stdoutDecoder.end())) handle(line);
      for (const line of parser.end()) handle(line);
      stderrTail += stderrDecoder.end();
      resolve(outcome());
    }

    child.stdout.on('data', (chunk: Buffer) => {
      for (const line of parser.push(stdoutDecoder.write(chunk))) handle(line);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderrTail = (stderrTail + stderrDecoder.write(chunk)).slice(-STDERR_KEEP_CHARS);
    });
    // EPIPE when the command exits without reading everything; nothing to do about it.
    child.stdin.on('error', (err) =>
      log.debug('shell worker: stdin error', { ...fields, error: err.message }),
    );
    child.on('error', (err) => {
      if (child.pid === undefined) finish(err);
      else log.warn('shell worker: process error', { ...fields, error: err.message });
    });
    child.on('exit', (code, sig) => {
      exit = { code, signal: sig };
      child.stdin.destroy();
      if (stopReason === null) {
        // Leftovers of a finished command would hold the pipes open and outlive the attempt.
        signalGroup('SIGKILL');
        armDrain();
      } else if (killSent) {
        armDrain();
      }
    });
    child.on('close', () => finish());
    signal.addEventListener('abort', onAbort, { once: true });

    if (child.pid !== undefined)
      log.debug('shell worker: started', { ...fields, pid: child.pid, watchdogPid: watchdog.pid });
    child.stdin.write(toTaskStdinLine(ctx));
  });
}

/** The abort reason as text: strings as they are, errors as `Name: message`, anything else as JSON. */
function reasonText(reason: unknown): string {
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

function stopped(reason: unknown): WorkerResult {
  return { ok: false, error: `stopped: ${reasonText(reason)}` };
}

function startFailure(err: unknown, workDir: string): string {
  if (!existsSync(workDir)) return `could not start command: working directory ${workDir} does not exist`;
  return `could not start command in ${workDir}: ${err instanceof Error ? err.message : String(err)}`;
}
