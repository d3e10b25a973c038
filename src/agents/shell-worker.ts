import { silentLogger, type Logger } from '../core/logger.ts';
import { createOutputCapture, tailOfText } from './shell-output-capture.ts';
import { toShellEnv, toTaskStdinLine } from './shell-task-env.ts';
import type { Worker, WorkerContext, WorkerResult } from './worker.ts';
import { reasonText, startWorkerProcess } from './worker-process.ts';
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

const ERROR_TAIL_LINES = 20;
const ERROR_TAIL_CHARS = 1_500;

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

  const parser = createProtocolParser();
  const output = createOutputCapture(settings.maxOutputBytes);
  let answers = Promise.resolve();

  const guarded = (what: string, fn: () => void): void => {
    try {
      fn();
    } catch (err) {
      log.warn(`shell worker: ${what} callback threw`, { ...fields, error: String(err) });
    }
  };
  const ask = (question: string): void => {
    // Nobody would read the answer: stdin is closed once the command has exited.
    if (proc.exited) return log.debug('shell worker: question after exit ignored', { ...fields, question });
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
      .then(async () => proc.write(toAnswerLine(await pending)))
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

  const proc = startWorkerProcess({
    argv: ['/bin/sh', '-c', settings.command],
    cwd: workDir,
    env: toShellEnv(ctx, { env: settings.env, passEnv: settings.passEnv, withheld: settings.withheldEnv }),
    stdin: toTaskStdinLine(ctx),
    closeStdin: false,
    signal,
    killGraceMs: settings.killGraceMs,
    log,
    fields,
    onStdout: (text) => {
      for (const line of parser.push(text)) handle(line);
    },
  });

  return proc.done.then((end): WorkerResult => {
    if (end.kind === 'start-failed') return { ok: false, error: end.error };
    for (const line of parser.end()) handle(line);
    if (end.stopReason !== null) return stopped(end.stopReason);
    if (end.code === 0) return { ok: true, output: output.text().trimEnd() };
    const what = end.signal ? `killed by signal ${end.signal}` : `exited with code ${end.code ?? '?'}`;
    const [label, text] = end.stderrTail.trim() ? ['stderr', end.stderrTail] : ['stdout', output.text()];
    const tail = tailOfText(text, ERROR_TAIL_LINES, ERROR_TAIL_CHARS);
    return { ok: false, error: tail ? `command ${what}; last ${label}:\n${tail}` : `command ${what}` };
  });
}

function stopped(reason: unknown): WorkerResult {
  return { ok: false, error: `stopped: ${reasonText(reason)}` };
}
