import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describeError } from '../core/errors.ts';
import type { Logger } from '../core/logger.ts';
import type { Task } from '../core/types.ts';
import type { AttemptRef, Ledger } from '../ledger/ledger.ts';
import type { LedgerWatcher } from './ledger-watcher.ts';
import type { Worker, WorkerContext, WorkerResult } from './worker.ts';

export interface AttemptSettings {
  leaseMs: number;
  heartbeatMs: number;
  /** Fewest milliseconds between two progress writes; the newest one in between is kept. */
  progressIntervalMs: number;
  workRoot: string;
  log: Logger;
}

/** Why an attempt was stopped before its worker finished. */
type StopKind = 'timeout' | 'shutdown' | 'lost';

function safeSegment(id: string): string {
  return id.replace(/[^A-Za-z0-9._-]/g, '_');
}

/**
 * Runs one claimed attempt: heartbeats while it works, stops the worker when the task is cancelled,
 * the lease is lost, the timeout passes (time spent waiting for an answer does not count) or the
 * agent shuts down, and writes the outcome, fenced by the attempt number.
 */
export async function runAttempt(
  ledger: Ledger,
  watcher: LedgerWatcher,
  worker: Worker,
  task: Task,
  ref: AttemptRef,
  settings: AttemptSettings,
  shutdownSignal: AbortSignal,
): Promise<void> {
  const { log } = settings;
  const controller = new AbortController();
  let stopKind: StopKind | undefined;
  const stop = (kind: StopKind, reason: string): void => {
    if (controller.signal.aborted) return;
    stopKind = kind;
    controller.abort(reason);
  };
  const workDir = join(settings.workRoot, safeSegment(task.id), `attempt-${ref.attempt}`);
  const artifacts: string[] = [];
  const cleanups: (() => void)[] = [];

  // Ownership: the heartbeat proves we are alive, and any change to the task is checked at once.
  const checkOwnership = (): void => {
    const now = ledger.getTask(ref.taskId);
    if (!now) return;
    const ours =
      (now.status === 'claimed' || now.status === 'blocked') &&
      now.attempt === ref.attempt &&
      now.owner === ref.agentId;
    if (!ours)
      stop(
        'lost',
        now.status === 'cancelled' ? 'cancelled' : `task moved on (${now.status}, attempt ${now.attempt})`,
      );
  };
  const beat = setInterval(() => {
    try {
      const res = ledger.heartbeat(ref, settings.leaseMs);
      if (!res.ok)
        stop('lost', res.status === 'cancelled' ? 'cancelled' : `lease lost (task is ${res.status})`);
    } catch (err) {
      log.warn('heartbeat failed', { taskId: ref.taskId, error: describeError(err) });
    }
  }, settings.heartbeatMs);
  cleanups.push(() => clearInterval(beat), watcher.subscribe(checkOwnership));
  const onShutdown = (): void => stop('shutdown', 'agent stopping');
  shutdownSignal.addEventListener('abort', onShutdown, { once: true });
  cleanups.push(() => shutdownSignal.removeEventListener('abort', onShutdown));

  // Timeout, paused while the task waits for a person's answer.
  let timeLeftMs = task.timeoutMs;
  let timeoutStartedAt = 0;
  let timeoutTimer: NodeJS.Timeout | undefined;
  const armTimeout = (): void => {
    timeoutStartedAt = Date.now();
    timeoutTimer = setTimeout(
      () => stop('timeout', `timed out after ${Math.round(task.timeoutMs / 1000)}s`),
      timeLeftMs,
    );
  };
  const pauseTimeout = (): void => {
    if (timeoutTimer) clearTimeout(timeoutTimer);
    timeoutTimer = undefined;
    timeLeftMs = Math.max(0, timeLeftMs - (Date.now() - timeoutStartedAt));
  };
  armTimeout();
  cleanups.push(() => timeoutTimer && clearTimeout(timeoutTimer));

  // Progress is throttled: a chatty worker must not turn into thousands of events.
  let lastProgressAt = 0;
  let pendingProgress: { pct: number | null; text: string } | undefined;
  let progressTimer: NodeJS.Timeout | undefined;
  const writeProgress = (): void => {
    progressTimer = undefined;
    if (!pendingProgress || controller.signal.aborted) return;
    const { pct, text } = pendingProgress;
    pendingProgress = undefined;
    lastProgressAt = Date.now();
    const res = ledger.progress(ref, pct, text);
    if (!res.ok) stop('lost', 'lease lost');
  };
  cleanups.push(() => progressTimer && clearTimeout(progressTimer));

  const ctx: WorkerContext = {
    task,
    attempt: ref.attempt,
    agentId: ref.agentId,
    workDir,
    signal: controller.signal,
    progress(pct, text) {
      pendingProgress = { pct, text };
      const wait = settings.progressIntervalMs - (Date.now() - lastProgressAt);
      if (wait <= 0) writeProgress();
      else progressTimer ??= setTimeout(writeProgress, wait);
    },
    ask: (question) => waitForAnswer(question),
    artifact(path) {
      artifacts.push(path.startsWith('/') ? path : join(workDir, path));
    },
  };

  const waitForAnswer = (question: string): Promise<string> =>
    new Promise<string>((resolve, reject) => {
      if (controller.signal.aborted) return reject(new Error('attempt stopped'));
      const asked = ledger.ask(ref, question);
      if (!asked.ok) {
        stop('lost', 'lease lost');
        return reject(new Error('attempt is no longer current'));
      }
      pauseTimeout();
      const done = (): void => {
        unsubscribe();
        clearInterval(poll);
        controller.signal.removeEventListener('abort', onAbort);
      };
      const check = (): void => {
        const res = ledger.takeAnswer(ref);
        if (!res.ok) {
          done();
          stop('lost', 'lease lost');
          reject(new Error('attempt is no longer current'));
        } else if ('answer' in res && res.answer !== null) {
          done();
          armTimeout();
          resolve(res.answer);
        }
      };
      const onAbort = (): void => {
        done();
        reject(new Error('attempt stopped'));
      };
      const unsubscribe = watcher.subscribe(check);
      const poll = setInterval(check, 500);
      controller.signal.addEventListener('abort', onAbort, { once: true });
    });

  let result: WorkerResult;
  try {
    mkdirSync(workDir, { recursive: true });
    result = await worker.run(ctx);
  } catch (err) {
    result = { ok: false, error: `worker crashed: ${describeError(err)}` };
  } finally {
    for (const c of cleanups) c();
  }
  if (pendingProgress && !controller.signal.aborted) writeProgress();

  const reason = String(controller.signal.reason ?? '');
  let write;
  if (stopKind === 'lost') {
    log.info('attempt stopped: no longer ours', { taskId: ref.taskId, attempt: ref.attempt, reason });
    return;
  } else if (stopKind === 'shutdown') {
    write = ledger.release(ref, 'agent stopped');
  } else if (stopKind === 'timeout') {
    write = ledger.fail(ref, reason);
  } else if (result.ok) {
    write = ledger.complete(ref, result.output, artifacts);
  } else {
    write = ledger.fail(ref, result.error);
  }
  if (!write.ok) log.warn('outcome refused: attempt is stale', { taskId: ref.taskId, attempt: ref.attempt });
}
