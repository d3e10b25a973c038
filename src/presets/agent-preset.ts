import type { Budget, UsageReport } from '../core/usage.ts';
import type { PresetName } from './preset-config.ts';

/**
 * How to add a preset for another agent CLI (one file in src/presets/, registered in
 * preset-registry.ts, its name added to PRESET_NAMES in preset-config.ts):
 *
 * 1. Say how to run it: `command` (found on PATH unless `agents[].cli` is set), `install` (the fix
 *    `doctor` prints when it is missing), `keyEnv` (what to list in `agents[].passEnv`).
 * 2. Build the arguments of a first run (`firstRun`) and, when the CLI can continue a session, of a
 *    run that resumes one (`resumeRun`). The prompt always goes to standard input, never in an
 *    argument (no length limit, nothing in `ps`).
 * 3. Read its output (`createReader`): one JSON event per line in, the session id, progress, usage
 *    and the final answer out. Skip what you do not know (say so in `skipped`); never throw.
 *
 * The preset worker (preset-worker.ts) does the rest: the prompt, the process (the shell worker's
 * process group, watchdog and environment allowlist), idle and crash handling, and questions.
 */
export interface AgentPreset {
  name: PresetName;
  /** Human name for messages (`Claude Code`). */
  title: string;
  /** The CLI's command name, looked up on PATH. */
  command: string;
  /** How to install it: the fix `doctor` and `up` print when it is missing. */
  install: string;
  /** Variables that hold its credentials: list them in `agents[].passEnv` (or set them in `env`). */
  keyEnv: readonly string[];
  /** Arguments that print its version (for `doctor`). */
  versionArgs: readonly string[];
  /** Arguments of a first run: the prompt arrives on standard input. */
  firstRun(options: PresetRunOptions): string[];
  /** Arguments of a run that resumes `sessionId` with the prompt on stdin; absent when it cannot resume. */
  resumeRun?(options: PresetRunOptions & { sessionId: string }): string[];
  /** A reader for one run's standard output. */
  createReader(options: PresetRunOptions): PresetReader;
}

/** What a run is built from, besides the prompt. */
export interface PresetRunOptions {
  /** `agents[].model`. */
  model?: string;
  /** `agents[].args`, added to every run. */
  extraArgs: readonly string[];
  /** What the task may still spend, when it (or the agent or swarm) has a budget. */
  budgetLeft?: Budget;
}

/** What one line of a CLI's output means to the swarm (a line may mean several things or none). */
export type PresetEvent =
  | { kind: 'session'; id: string }
  | { kind: 'progress'; text: string }
  /** Usage of a step (added up, like `::usage`). */
  | { kind: 'usage'; report: UsageReport }
  /** A line the reader did not use (unknown event, malformed JSON): logged, not fatal. */
  | { kind: 'skipped'; reason: string };

/** How a run ended, as its own output says. */
export interface PresetOutcome {
  /** The final answer, when the run produced one. */
  result?: string;
  /** The CLI's own error (a failed turn, an API error), when it reported one. */
  error?: string;
  /** What only the end of the output said (a CLI that prints one JSON envelope when it is done). */
  events?: PresetEvent[];
}

/** Reads one run's standard output, line by line. */
export interface PresetReader {
  line(text: string): PresetEvent[];
  /** Called once the process ended. */
  end(): PresetOutcome;
}
