import { describeError } from '../core/errors.ts';
import type { Task } from '../core/types.ts';
import type { AttemptRef, Ledger, WriteResult } from '../ledger/ledger.ts';
import type { AttemptState } from '../ledger/task-query-ops.ts';
import { acceptArtifacts } from './accept-artifacts.ts';
import { createAttemptFolder } from './attempt-folder.ts';
import { capText, createAttemptCaps } from './attempt-limits.ts';
import type { AttemptSettings } from './attempt-settings.ts';
import { prepareDependencies } from './dependency-handoff.ts';
import type { LedgerWatcher } from './ledger-watcher.ts';
import { createPausableTimeout } from './pausable-timeout.ts';
import { createProgressThrottle } from './progress-throttle.ts';
import { budgetLeft, checkBudgets, priceOf, type BudgetVerdict } from './usage-meter.ts';
import { writeOutcome } from './write-outcome.ts';
import type { Worker, WorkerContext, WorkerResult } from './worker.ts';

export type { AttemptSettings, HandOn } from './attempt-settings.ts';

/** Why an attempt was stopped before its worker finished. */
type StopKind = 'timeout' | 'shutdown' | 'lost' | 'budget';

/**
 * Runs one claimed attempt: heartbeats while it works, stops the worker when the task is cancelled,
 * the lease is lost, the timeout passes (time spent waiting for an answer does not count) or the
 * agent shuts down, and writes the outcome, fenced by the attempt number. The worker is capped
 * (one open question, {@link AttemptLimits}); what it asks beyond that is refused and reported once.
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
  const { log, limits } = settings;
  const fields = { taskId: ref.taskId, attempt: ref.attempt };
  const label = `${ref.taskId}#${ref.attempt}`;
  let workDir: string;
  try {
    workDir = createAttemptFolder(settings.workRoot, task.id, ref.attempt);
  } catch (err) {
    log.error('attempt refused: no safe working folder', { ...fields, error: describeError(err) });
    await writeOutcome(log, fields, () => ledger.fail(ref, `no safe working folder: ${describeError(err)}`));
    return;
  }

  const controller = new AbortController();
  let stopKind: StopKind | undefined;
  const stop = (kind: StopKind, reason: string): void => {
    if (controller.signal.aborted) return;
    stopKind = kind;
    controller.abort(reason);
  };
  const caps = createAttemptCaps(label, limits, log, fields);
  const artifacts: string[] = [];
  const cleanups: (() => void)[] = [];
  // Every periodic callback below writes to the ledger; a failed write is logged and tried again later.
  const guard = (what: string, fn: () => void) => (): void => {
    try {
      fn();
    } catch (err) {
      log.warn(`${what} failed; will retry`, { ...fields, error: describeError(err) });
    }
  };

  // Ownership: the heartbeat proves we are alive, and any change to the task is checked at once.
  const isOurs = (now: AttemptState): boolean =>
    (now.status === 'claimed' || now.status === 'blocked') &&
    now.attempt === ref.attempt &&
    now.owner === ref.agentId;
  const checkOwnership = guard('ownership check', () => {
    const now = ledger.attemptState(ref.taskId);
    if (!now) return;
    if (!isOurs(now))
      stop(
        'lost',
        now.status === 'cancelled' ? 'cancelled' : `task moved on (${now.status}, attempt ${now.attempt})`,
      );
  });
  const onBeat = (res: WriteResult): void => {
    if (!res.ok)
      stop('lost', res.status === 'cancelled' ? 'cancelled' : `lease lost (task is ${res.status})`);
  };
  if (settings.heartbeats) cleanups.push(settings.heartbeats.add(ref, settings.leaseMs, onBeat));
  else {
    const beat = setInterval(
      guard('heartbeat', () => onBeat(ledger.heartbeat(ref, settings.leaseMs))),
      settings.heartbeatMs,
    );
    cleanups.push(() => clearInterval(beat));
  }
  cleanups.push(watcher.subscribe(checkOwnership));
  const onShutdown = (): void => stop('shutdown', 'agent stopping');
  shutdownSignal.addEventListener('abort', onShutdown, { once: true });
  cleanups.push(() => shutdownSignal.removeEventListener('abort', onShutdown));

  // Timeout, paused while the task waits for a person's answer.
  const timeout = createPausableTimeout(task.timeoutMs, () =>
    stop('timeout', `timed out after ${Math.round(task.timeoutMs / 1000)}s`),
  );
  timeout.resume();
  cleanups.push(() => timeout.clear());

  // Progress is throttled (one write per interval, the newest text kept): a chatty worker costs little.
  const progress = createProgressThrottle({
    intervalMs: settings.progressIntervalMs,
    write: (pct, text) => ledger.progress(ref, pct, text),
    isStopped: () => controller.signal.aborted,
    onLost: () => stop('lost', 'lease lost'),
    log,
    fields,
  });
  cleanups.push(() => progress.clear());

  // Usage: recorded as it is reported; a crossed budget stops the attempt (see the outcome below).
  const budgets = settings.budgets ?? {};
  let budgetVerdict: BudgetVerdict | undefined;
  const stopForBudget = (verdict: BudgetVerdict | undefined): void => {
    if (!verdict || budgetVerdict) return;
    budgetVerdict = verdict;
    log.warn('attempt stopped: budget exceeded', { ...fields, reason: verdict.text });
    stop('budget', verdict.text);
  };
  const recordUsage = (report: Parameters<NonNullable<WorkerContext['usage']>>[0]): void => {
    try {
      ledger.usage.record(ref, { ...report, costUsd: priceOf(report, budgets.pricing) });
      stopForBudget(checkBudgets(ledger, ref, budgets, Date.now()));
    } catch (err) {
      log.warn('usage could not be recorded', { ...fields, error: describeError(err) });
    }
  };
  let dependencies: WorkerContext['dependencies'] = [];
  try {
    dependencies = prepareDependencies(ledger, task, workDir, log);
  } catch (err) {
    log.warn('dependencies could not be handed on', { ...fields, error: describeError(err) });
  }

  let questionOpen = false;
  const ctx: WorkerContext = {
    task,
    attempt: ref.attempt,
    agentId: ref.agentId,
    workDir,
    signal: controller.signal,
    progress(pct, text) {
      progress.report(pct, capText(text, limits.maxProgressChars));
    },
    ask(question) {
      if (!caps.allowQuestion(questionOpen))
        return Promise.reject(new Error('question refused: over the limit'));
      questionOpen = true;
      return waitForAnswer(capText(question, limits.maxQuestionChars)).finally(() => (questionOpen = false));
    },
    artifact(path) {
      if (artifacts.includes(path) || !caps.allowArtifact()) return;
      artifacts.push(path);
    },
    dependencies,
    usage: recordUsage,
    budgetLeft() {
      try {
        return budgetLeft(ledger, ref, budgets, Date.now());
      } catch (err) {
        log.warn('budget could not be read', { ...fields, error: describeError(err) });
        return undefined;
      }
    },
    session(id) {
      try {
        ledger.usage.setSession(ref, capText(id, 200));
      } catch (err) {
        log.warn('session id could not be recorded', { ...fields, error: describeError(err) });
      }
    },
  };
  // A task already over its budget (earlier attempts spent it) does not start another run.
  try {
    const verdict = checkBudgets(ledger, ref, budgets, Date.now());
    if (verdict?.scope === 'task') stopForBudget(verdict);
  } catch (err) {
    log.warn('budget check failed', { ...fields, error: describeError(err) });
  }

  const waitForAnswer = (question: string): Promise<string> =>
    new Promise<string>((resolve, reject) => {
      if (controller.signal.aborted) return reject(new Error('attempt stopped'));
      const asked = ledger.ask(ref, question);
      if (!asked.ok) {
        stop('lost', 'lease lost');
        return reject(new Error('attempt is no longer current'));
      }
      timeout.pause();
      const done = (): void => {
        unsubscribe();
        clearInterval(poll);
        controller.signal.removeEventListener('abort', onAbort);
      };
      const check = guard('answer check', () => {
        // A read first: most changes are other tasks', and taking the answer is a write.
        const now = ledger.attemptState(ref.taskId);
        if (now && isOurs(now) && !now.hasAnswer) return;
        const res = ledger.takeAnswer(ref);
        if (!res.ok) {
          done();
          stop('lost', 'lease lost');
          reject(new Error('attempt is no longer current'));
        } else if ('answer' in res && res.answer !== null) {
          done();
          timeout.resume();
          resolve(res.answer);
        }
      });
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
    result = controller.signal.aborted
      ? { ok: false, error: String(controller.signal.reason) }
      : await worker.run(ctx);
  } catch (err) {
    result = { ok: false, error: `worker crashed: ${describeError(err)}` };
  }
  progress.flush();
  const finalStop = stopKind;
  const reason = String(controller.signal.reason ?? '');
  // The attempt is over: a question still waiting for its answer is dropped with it.
  if (!controller.signal.aborted) controller.abort('attempt over');
  for (const c of cleanups) c();

  if (finalStop === 'lost') {
    log.info('attempt stopped: no longer ours', { ...fields, reason });
    return;
  }
  if (finalStop === 'shutdown') {
    await writeOutcome(log, fields, () => ledger.release(ref, 'agent stopped'));
    return;
  }
  if (finalStop === 'budget' && budgetVerdict) {
    const verdict = budgetVerdict;
    // The task's own budget ends it; a daily budget only ends this agent's (or the swarm's) day.
    await writeOutcome(log, fields, () =>
      verdict.scope === 'task'
        ? ledger.failForBudget(ref, verdict.text, ledger.usage.attempt(ref.taskId, ref.attempt))
        : ledger.release(ref, verdict.text),
    );
    return;
  }
  const notices = caps.notices();
  for (const line of notices) log.warn('worker capped', { ...fields, notice: line });
  if (finalStop === 'timeout' || !result.ok) {
    const error = finalStop === 'timeout' ? reason : result.ok ? '' : result.error;
    await writeOutcome(log, fields, () => ledger.fail(ref, [error, ...notices].join('\n')));
    return;
  }
  const output = result.output;
  const records = await acceptArtifacts(artifacts, workDir, settings, ref, notices);
  const handOn = settings.handOn;
  await writeOutcome(log, fields, () => {
    // With room for another task, the same transaction claims it (one commit instead of two).
    const next = handOn?.next();
    if (!handOn || !next) return ledger.complete(ref, output, records, notices);
    const r = ledger.completeAndClaim(ref, output, next, records, notices);
    if (r.next?.kind === 'claimed') handOn.start(r.next);
    return r.completed;
  });
}
