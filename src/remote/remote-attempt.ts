import { createAttemptFolder } from '../agents/attempt-folder.ts';
import { createAttemptCaps, DefaultAttemptLimits } from '../agents/attempt-limits.ts';
import type { Worker, WorkerContext, WorkerResult } from '../agents/worker.ts';
import { describeError } from '../core/errors.ts';
import type { Logger } from '../core/logger.ts';
import type { Task } from '../core/types.ts';
import type { GrantedTask, ResultBundle, Tag } from './protocol-types.ts';
import { readRemoteArtifacts } from './remote-artifacts.ts';

/** How a remote attempt talks back to its runtime (which turns it into protocol messages). */
export interface RemoteAttemptHooks {
  progress(pct: number | null, text: string): void;
  /** Sends the question; resolves with the relayed answer, rejects when the attempt stops. */
  ask(question: string): Promise<string>;
}

/** What one finished attempt produced, ready to be sent (or kept until it can be). */
export interface RemoteOutcome {
  outcome: 'ok' | 'fail';
  text: string;
  artifacts: ResultBundle['artifacts'];
  /** One line per artifact left out and why (a link, outside the folder, too large, over the count). */
  skipped: string[];
}

export interface RemoteAttemptOptions {
  agentId: string;
  tag: Tag;
  task: GrantedTask;
  worker: Worker;
  /** Root of the attempt folders: the worker runs in `<root>/<task>/attempt-<n>` and may attach only files inside it. */
  workRoot: string;
  /** Where artifacts are copied while they are checked (outside every attempt folder). */
  artifactRoot: string;
  /** Largest total artifact size carried in a result. */
  maxArtifactBytes: number;
  /** Values that must never leave in an artifact (the agent's bot token). */
  secrets: readonly string[];
  signal: AbortSignal;
  hooks: RemoteAttemptHooks;
  log: Logger;
}

/** The core's Task, rebuilt from a grant for the worker (which cannot tell a remote task from a local one). */
export function toTask(tag: Tag, agentId: string, granted: GrantedTask, now: number): Task {
  return {
    id: tag.taskId,
    title: granted.title,
    body: granted.body,
    skills: granted.skills,
    priority: 5,
    dependsOn: [],
    review: granted.review,
    timeoutMs: granted.timeoutMs,
    maxAttempts: granted.maxAttempts,
    status: 'claimed',
    attempt: tag.attempt,
    owner: agentId,
    assignee: null,
    leaseExpiresAt: null,
    notBefore: 0,
    progressPct: null,
    progressText: null,
    question: null,
    result: null,
    lastError: null,
    waitingReason: null,
    notes: granted.notes,
    createdBy: 'orchestrator',
    idempotencyKey: null,
    createdAt: now,
    updatedAt: now,
  };
}

/**
 * Runs one granted attempt with the agent's worker, as a local agent would: its own checked folder,
 * the timeout (paused while a question waits for its answer), stop on `signal`, and the artifacts
 * through the local agents' checks (see remote-artifacts.ts) with the same per-attempt caps.
 */
export async function runRemoteAttempt(o: RemoteAttemptOptions): Promise<RemoteOutcome | undefined> {
  const controller = new AbortController();
  const stopWith = (reason: string): void => {
    if (!controller.signal.aborted) controller.abort(reason);
  };
  const onOuter = (): void => stopWith(String(o.signal.reason ?? 'stopped'));
  if (o.signal.aborted) return undefined;
  o.signal.addEventListener('abort', onOuter, { once: true });

  let timeLeftMs = o.task.timeoutMs;
  let startedAt = Date.now();
  let timedOut = false;
  let timer: NodeJS.Timeout | undefined;
  const arm = (): void => {
    startedAt = Date.now();
    timer = setTimeout(() => {
      timedOut = true;
      stopWith(`timed out after ${Math.round(o.task.timeoutMs / 1000)}s`);
    }, timeLeftMs);
  };
  const pause = (): void => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    timeLeftMs = Math.max(0, timeLeftMs - (Date.now() - startedAt));
  };

  let workDir: string;
  try {
    workDir = createAttemptFolder(o.workRoot, o.tag.taskId, o.tag.attempt);
  } catch (err) {
    o.signal.removeEventListener('abort', onOuter);
    return { outcome: 'fail', text: `no working folder: ${describeError(err)}`, artifacts: [], skipped: [] };
  }
  const label = `${o.tag.taskId}#${o.tag.attempt}`;
  const caps = createAttemptCaps(label, DefaultAttemptLimits, o.log, { tag: label });
  const paths: string[] = [];
  let questionOpen = false;
  const ctx: WorkerContext = {
    task: toTask(o.tag, o.agentId, o.task, Date.now()),
    attempt: o.tag.attempt,
    agentId: o.agentId,
    workDir,
    signal: controller.signal,
    progress: (pct, text) => {
      if (!controller.signal.aborted) o.hooks.progress(pct, text);
    },
    ask: async (question) => {
      if (controller.signal.aborted) throw new Error('attempt stopped');
      // The same caps as a local agent's: one question open at a time, a few per attempt.
      if (!caps.allowQuestion(questionOpen)) throw new Error('question refused: over the limit');
      questionOpen = true;
      pause();
      try {
        return await o.hooks.ask(question);
      } finally {
        questionOpen = false;
        if (!controller.signal.aborted) arm();
      }
    },
    artifact: (path) => {
      if (!paths.includes(path) && caps.allowArtifact()) paths.push(path);
    },
  };

  let result: WorkerResult;
  try {
    arm();
    result = await o.worker.run(ctx);
  } catch (err) {
    result = { ok: false, error: `worker crashed: ${describeError(err)}` };
  } finally {
    if (timer) clearTimeout(timer);
    o.signal.removeEventListener('abort', onOuter);
  }
  if (o.signal.aborted) return undefined; // stopped from outside: the attempt is not ours any more
  if (timedOut)
    return { outcome: 'fail', text: String(controller.signal.reason), artifacts: [], skipped: [] };
  if (!result.ok) return { outcome: 'fail', text: result.error, artifacts: [], skipped: caps.notices() };
  const { artifacts, refused } = await readRemoteArtifacts(paths, {
    tag: o.tag,
    workDir,
    copyRoot: o.artifactRoot,
    maxTotalBytes: o.maxArtifactBytes,
    secrets: o.secrets,
    log: o.log,
  });
  return { outcome: 'ok', text: result.output, artifacts, skipped: [...refused, ...caps.notices()] };
}
