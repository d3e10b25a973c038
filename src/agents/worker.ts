import type { Task } from '../core/types.ts';
import type { Budget, UsageReport } from '../core/usage.ts';

/**
 * A finished dependency of the task, handed to its worker (a pipeline passes work along this way):
 * its result and its artifacts, copied into this attempt's folder (`deps/<task>/<name>`).
 */
export interface DependencyResult {
  taskId: string;
  title: string;
  result: string;
  artifacts: { name: string; path: string; bytes: number; sha256: string }[];
}

/**
 * What a worker gets for one attempt. Every callback is fenced by the runtime: once the attempt is
 * no longer current (lease lost, cancelled), calls are ignored and `signal` is aborted.
 */
export interface WorkerContext {
  task: Task;
  attempt: number;
  agentId: string;
  /** Per-task working directory, created before the worker starts. */
  workDir: string;
  /** Aborted on cancel, timeout, or when the lease is lost; the worker must stop. */
  signal: AbortSignal;
  /** Reports progress; `pct` is 0–100 or null when unknown. */
  progress(pct: number | null, text: string): void;
  /**
   * Asks the humans a question; the task is blocked until someone answers. Resolves with the answer;
   * rejects when another question is still open or the attempt's limit is reached.
   */
  ask(question: string): Promise<string>;
  /**
   * Registers a file to attach to the result (relative to workDir, or absolute). Only a regular file
   * inside workDir is attached, checked and copied when the attempt ends; the rest is refused aloud.
   */
  artifact(path: string): void;
  /** Results of the tasks this one depends on, oldest dependency first (empty when none). */
  dependencies?: readonly DependencyResult[];
  /**
   * Reports what a step used (tokens, cost, model); each call adds to the attempt's usage. When a
   * budget is crossed, the runtime aborts `signal` and the task fails (or goes back to the queue).
   */
  usage?(report: UsageReport): void;
  /** Keeps the agent CLI's session id with the attempt (presets resume it after a question). */
  session?(id: string): void;
  /**
   * What may still be spent before a budget stops the attempt (the tightest of the task's, the
   * agent's and the swarm's), or undefined when no budget applies. A preset passes it to a CLI
   * that caps its own spending.
   */
  budgetLeft?(): Budget | undefined;
}

export type WorkerResult = { ok: true; output: string } | { ok: false; error: string };

/** Runs one attempt of a task. Must resolve (not reject) with the outcome; a rejection counts as a failure. */
export interface Worker {
  run(ctx: WorkerContext): Promise<WorkerResult>;
}
