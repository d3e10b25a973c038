import { silentLogger, type Logger } from '../core/logger.ts';
import { createOutputCapture, tailOfText } from '../agents/shell-output-capture.ts';
import { toShellEnv } from '../agents/shell-task-env.ts';
import type { Worker, WorkerContext } from '../agents/worker.ts';
import { reasonText, startWorkerProcess } from '../agents/worker-process.ts';
import type { AgentPreset, PresetEvent, PresetRunOptions } from './agent-preset.ts';
import { createLineSplitter } from './event-lines.ts';
import { buildAnswerPrompt, buildRetoldPrompt, buildTaskPrompt, questionOf } from './task-prompt.ts';

/** How an agent runs its preset's CLI (from `agents[]`). */
export interface PresetWorkerOptions {
  preset: AgentPreset;
  /** The CLI to run: a path, or a name looked up on the worker's PATH. */
  cli: string;
  model?: string;
  /** `agents[].args`, added to every run. */
  args?: readonly string[];
  /** The same environment rule as the shell worker (see `toShellEnv`): the CLI's key comes by passEnv. */
  env?: Record<string, string>;
  passEnv?: readonly string[];
  withheldEnv?: readonly string[];
  /** A run that prints nothing for this long is stopped and the attempt fails. */
  idleTimeoutMs?: number;
  killGraceMs?: number;
  /** Cap on the final answer kept (UTF-8 bytes). */
  maxResultBytes?: number;
  log?: Logger;
}

/** Defaults for the optional settings of {@link PresetWorkerOptions}. */
export const DefaultPresetWorkerOptions = {
  idleTimeoutMs: 10 * 60_000,
  killGraceMs: 5_000,
  maxResultBytes: 1_048_576,
} as const satisfies Partial<PresetWorkerOptions>;

/** Unreadable lines logged one by one before the rest are only counted. */
const SKIPPED_LOGGED = 5;

type RunEnd = { ok: true; result: string } | { ok: false; error: string };

/**
 * A worker that runs an agent CLI through its preset: the task becomes a prompt (title, body,
 * notes, dependencies' results, how to ask), the CLI's event stream becomes progress, usage, the
 * session id and the result. A final answer ending in `::ask <question>` is a question for the
 * people: the task waits for the answer, which resumes the same session (the CLI's documented
 * resume option); a CLI that cannot resume gets a new run with the answers in its prompt, and the
 * progress line says so. Processes are run like the shell worker's (process group, watchdog,
 * environment allowlist); a crash, a hang (no output for `idleTimeoutMs`) or a stream without a
 * final answer fails the attempt with a message that says which.
 */
export function createPresetWorker(options: PresetWorkerOptions): Worker {
  const s = {
    preset: options.preset,
    cli: options.cli,
    model: options.model,
    args: options.args ?? [],
    policy: { env: options.env ?? {}, passEnv: options.passEnv ?? [], withheld: options.withheldEnv ?? [] },
    idleTimeoutMs: options.idleTimeoutMs ?? DefaultPresetWorkerOptions.idleTimeoutMs,
    killGraceMs: options.killGraceMs ?? DefaultPresetWorkerOptions.killGraceMs,
    maxResultBytes: options.maxResultBytes ?? DefaultPresetWorkerOptions.maxResultBytes,
    log: options.log ?? silentLogger,
  };
  type Settings = typeof s;

  const runOptions = (ctx: WorkerContext): PresetRunOptions => {
    const left = ctx.budgetLeft?.();
    return {
      ...(s.model ? { model: s.model } : {}),
      extraArgs: s.args,
      ...(left ? { budgetLeft: left } : {}),
    };
  };

  async function runOnce(
    settings: Settings,
    ctx: WorkerContext,
    prompt: string,
    sessionId?: string,
  ): Promise<RunEnd> {
    const { preset, log } = settings;
    const fields = { taskId: ctx.task.id, attempt: ctx.attempt, preset: preset.name };
    const opts = runOptions(ctx);
    const args =
      sessionId && preset.resumeRun ? preset.resumeRun({ ...opts, sessionId }) : preset.firstRun(opts);
    const reader = preset.createReader(opts);
    const splitter = createLineSplitter();
    const idle = new AbortController();
    let idleTimer: NodeJS.Timeout | undefined;
    const idleMessage = `${preset.title} printed nothing for ${Math.round(settings.idleTimeoutMs / 1000)}s; stopped as hung`;
    const touch = (): void => {
      clearTimeout(idleTimer);
      idleTimer = setTimeout(() => idle.abort(idleMessage), settings.idleTimeoutMs);
    };
    let skipped = 0;
    const guarded = (what: string, fn: () => void): void => {
      try {
        fn();
      } catch (err) {
        log.warn(`preset worker: ${what} callback threw`, { ...fields, error: String(err) });
      }
    };
    const handle = (event: PresetEvent): void => {
      switch (event.kind) {
        case 'session':
          guarded('session', () => ctx.session?.(event.id));
          break;
        case 'progress':
          guarded('progress', () => ctx.progress(null, event.text));
          break;
        case 'usage':
          guarded('usage', () => ctx.usage?.(event.report));
          break;
        case 'skipped':
          skipped++;
          if (skipped <= SKIPPED_LOGGED)
            log.debug('preset worker: line skipped', { ...fields, reason: event.reason });
          break;
      }
    };
    const readLines = (part: { lines: string[]; dropped: number }): void => {
      skipped += part.dropped;
      for (const line of part.lines) {
        let events: PresetEvent[];
        try {
          events = reader.line(line);
        } catch (err) {
          events = [{ kind: 'skipped', reason: `reader failed: ${String(err)}` }];
        }
        for (const e of events) handle(e);
      }
    };

    touch();
    const proc = startWorkerProcess({
      argv: [settings.cli, ...args],
      cwd: ctx.workDir,
      env: toShellEnv(ctx, settings.policy),
      stdin: prompt,
      closeStdin: true,
      signal: AbortSignal.any([ctx.signal, idle.signal]),
      killGraceMs: settings.killGraceMs,
      log,
      fields,
      onStdout: (text) => readLines(splitter.push(text)),
      onActivity: touch,
    });
    const end = await proc.done;
    clearTimeout(idleTimer);
    if (end.kind === 'start-failed') return { ok: false, error: end.error };
    readLines(splitter.end());
    if (end.stopReason !== null)
      return {
        ok: false,
        error: idle.signal.aborted && !ctx.signal.aborted ? idleMessage : `stopped: ${end.stopReason}`,
      };
    let outcome: ReturnType<typeof reader.end>;
    try {
      outcome = reader.end();
    } catch (err) {
      outcome = { error: `${preset.title}: its output could not be read (${String(err)})` };
    }
    for (const e of outcome.events ?? []) handle(e);
    const stderr = tailOfText(end.stderrTail, 10, 1_000);
    const unread = skipped ? `; ${skipped} line(s) of its output could not be read` : '';
    if (end.code === 127 && outcome.result === undefined)
      return {
        ok: false,
        error: `${preset.title} could not be started (${settings.cli}: not found): ${preset.install}${stderr ? `\n${stderr}` : ''}`,
      };
    if (outcome.error)
      return { ok: false, error: `${outcome.error}${stderr ? `\nlast stderr:\n${stderr}` : ''}` };
    if (end.code !== 0) {
      const what = end.signal ? `was killed by signal ${end.signal}` : `exited with code ${end.code ?? '?'}`;
      return {
        ok: false,
        error: `${preset.title} ${what}${unread}${stderr ? `; last stderr:\n${stderr}` : ''}`,
      };
    }
    if (outcome.result === undefined)
      return {
        ok: false,
        error: `${preset.title} ended without a final answer (its output had no result event${unread})${stderr ? `; last stderr:\n${stderr}` : ''}`,
      };
    if (skipped) log.info('preset worker: some output lines were skipped', { ...fields, skipped });
    const capture = createOutputCapture(settings.maxResultBytes);
    capture.append(outcome.result);
    return { ok: true, result: capture.text() };
  }

  return {
    async run(ctx) {
      const { preset, log } = s;
      const first = buildTaskPrompt(ctx);
      const answered: { question: string; answer: string }[] = [];
      let prompt = first;
      let sessionId: string | undefined;
      // Keep the newest session id of this attempt: a question resumes it.
      const tracked: WorkerContext = {
        ...ctx,
        session(id) {
          sessionId = id;
          ctx.session?.(id);
        },
      };
      for (;;) {
        const run = await runOnce(s, tracked, prompt, answered.length ? sessionId : undefined);
        if (!run.ok) return run;
        const asked = questionOf(run.result);
        if (!asked) return { ok: true, output: run.result.trimEnd() };
        let answer: string;
        try {
          answer = await ctx.ask(asked.question);
        } catch (err) {
          if (ctx.signal.aborted) return { ok: false, error: `stopped: ${reasonText(ctx.signal.reason)}` };
          return {
            ok: false,
            error: `${preset.title} asked a question that was refused (${String(err)}): ${asked.question}`,
          };
        }
        answered.push({ question: asked.question, answer });
        if (sessionId && preset.resumeRun) {
          prompt = buildAnswerPrompt(answer);
        } else {
          const why = sessionId
            ? `${preset.title} cannot resume a session`
            : `${preset.title} gave no session id`;
          log.info('preset worker: no resume; new run with the answers', { taskId: ctx.task.id, why });
          ctx.progress(null, `${why}: starting a new run with the answer in the prompt`);
          prompt = buildRetoldPrompt(first, answered);
          sessionId = undefined;
        }
      }
    },
  };
}
