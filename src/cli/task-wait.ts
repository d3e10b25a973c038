import { LedgerWatcher } from '../agents/ledger-watcher.ts';
import { LedgerError } from '../core/errors.ts';
import { FINAL_STATUSES, type Task } from '../core/types.ts';
import type { Ledger } from '../ledger/ledger.ts';
import { EXIT } from './cli-context.ts';

/** How a wait ended: every task final (done, failed, cancelled), a person needed, or time up. */
export type WaitOutcome = 'done' | 'failed' | 'cancelled' | 'needs-person' | 'timed-out';

export interface WaitResult {
  outcome: WaitOutcome;
  tasks: Task[];
}

/** Exit code of each outcome (README, "Command line"). */
export const WAIT_EXIT: Readonly<Record<WaitOutcome, number>> = {
  done: EXIT.ok,
  failed: EXIT.problem,
  cancelled: EXIT.cancelled,
  'timed-out': EXIT.timedOut,
  'needs-person': EXIT.needsPerson,
};

/** A task that waits for a person: a question to answer (blocked) or a result to review. */
export const needsPerson = (task: Task): boolean => task.status === 'blocked' || task.status === 'review';

/**
 * Whether waiting is over for these tasks, and how. When all are final the worst wins: failed, then
 * cancelled, then done. With `untilPerson`, the wait ends as soon as any unfinished task needs a
 * person (others may depend on that answer). Undefined: keep waiting.
 */
export function outcomeOf(tasks: readonly Task[], untilPerson: boolean): WaitOutcome | undefined {
  if (tasks.every((t) => FINAL_STATUSES.has(t.status))) {
    if (tasks.some((t) => t.status === 'failed')) return 'failed';
    if (tasks.some((t) => t.status === 'cancelled')) return 'cancelled';
    return 'done';
  }
  if (untilPerson && tasks.some(needsPerson)) return 'needs-person';
  return undefined;
}

export interface WaitOptions {
  /** Give up after this long (undefined: wait as long as it takes). */
  timeoutMs?: number | undefined;
  untilPerson: boolean;
  /** Slowest re-check of the ledger when nothing seems to change (ms). */
  maxPollMs?: number;
}

/**
 * Waits until the tasks are settled (see {@link outcomeOf}), woken by the ledger: the watcher notices
 * any process's commit through the file-system and a cheap poll of PRAGMA data_version.
 */
export function waitForTasks(
  ledger: Ledger,
  ids: readonly string[],
  options: WaitOptions,
): Promise<WaitResult> {
  const load = (): Task[] =>
    ids.map((id) => {
      const task = ledger.getTask(id);
      if (!task) throw new LedgerError('unknown_task', `no task ${id}`);
      return task;
    });
  const first = load();
  const settled = outcomeOf(first, options.untilPerson);
  if (settled) return Promise.resolve({ outcome: settled, tasks: first });
  const watcher = new LedgerWatcher(ledger, { minPollMs: 10, maxPollMs: options.maxPollMs ?? 50 });
  return new Promise((resolve, reject) => {
    const timers: NodeJS.Timeout[] = [];
    let unsubscribe = (): void => undefined;
    let done = false;
    const finish = (result: WaitResult | Error): void => {
      if (done) return;
      done = true;
      unsubscribe();
      for (const t of timers) clearTimeout(t);
      if (result instanceof Error) reject(result);
      else resolve(result);
    };
    const check = (): void => {
      try {
        const tasks = load();
        const outcome = outcomeOf(tasks, options.untilPerson);
        if (outcome) finish({ outcome, tasks });
      } catch (err) {
        finish(err as Error);
      }
    };
    unsubscribe = watcher.subscribe(check);
    // The watcher's timers do not keep the process alive; this one does, and re-checks now and then.
    const keepAlive = (): void => {
      timers[0] = setTimeout(() => {
        check();
        if (!done) keepAlive();
      }, 1_000);
    };
    keepAlive();
    if (options.timeoutMs !== undefined) {
      timers[1] = setTimeout(() => {
        try {
          finish({ outcome: 'timed-out', tasks: load() });
        } catch (err) {
          finish(err as Error);
        }
      }, options.timeoutMs);
    }
  });
}

/** Text for a settled wait: each task's status line, then its result, error, question or review hint. */
export function renderWaitResult(result: WaitResult): string {
  const lines: string[] = [];
  for (const t of result.tasks) {
    lines.push(`${t.id} ${t.status}: ${t.title}`);
    if (t.status === 'blocked' && t.question) {
      lines.push(`question: ${t.question}`, `answer with: chat-swarm task answer ${t.id} <text>`);
    } else if (t.status === 'review') {
      lines.push(
        `review with: chat-swarm task approve ${t.id}  (or: chat-swarm task reject ${t.id} <feedback>)`,
      );
    }
    if (t.status === 'failed' && t.lastError) lines.push(`error: ${t.lastError}`);
    if (t.result) lines.push('--- result ---', t.result);
  }
  if (result.outcome === 'timed-out') lines.push('timed out waiting');
  return lines.join('\n');
}
