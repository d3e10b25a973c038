import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';
import type { Worker, WorkerContext, WorkerResult } from '../agents/worker.ts';
import { describeError } from '../core/errors.ts';
import type { Logger } from '../core/logger.ts';
import type { Task } from '../core/types.ts';
import type { GrantedTask, ResultBundle, Tag } from './protocol-types.ts';
import { SAFE_ARTIFACT_NAME } from './result-intake.ts';

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
  /** Why some artifacts were left out (too large, outside the folder, unreadable). */
  skipped: string[];
}

export interface RemoteAttemptOptions {
  agentId: string;
  tag: Tag;
  task: GrantedTask;
  worker: Worker;
  /** The attempt's own folder: the worker runs there and may attach only files inside it. */
  workDir: string;
  /** Largest total artifact size carried in a result. */
  maxArtifactBytes: number;
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
 * Runs one granted attempt with the agent's worker, as a local agent would: its own folder, the
 * timeout (paused while a question waits for its answer), stop on `signal`, and the artifacts read
 * back with their SHA-256 (only regular files inside the folder, within the size cap).
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

  const paths: string[] = [];
  const ctx: WorkerContext = {
    task: toTask(o.tag, o.agentId, o.task, Date.now()),
    attempt: o.tag.attempt,
    agentId: o.agentId,
    workDir: o.workDir,
    signal: controller.signal,
    progress: (pct, text) => {
      if (!controller.signal.aborted) o.hooks.progress(pct, text);
    },
    ask: async (question) => {
      if (controller.signal.aborted) throw new Error('attempt stopped');
      pause();
      try {
        return await o.hooks.ask(question);
      } finally {
        if (!controller.signal.aborted) arm();
      }
    },
    artifact: (path) => void paths.push(isAbsolute(path) ? path : join(o.workDir, path)),
  };

  let result: WorkerResult;
  try {
    mkdirSync(o.workDir, { recursive: true, mode: 0o700 });
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
  if (!result.ok) return { outcome: 'fail', text: result.error, artifacts: [], skipped: [] };
  return {
    outcome: 'ok',
    text: result.output,
    ...readArtifacts(o.workDir, paths, o.maxArtifactBytes, o.log),
  };
}

/** Reads the registered files that are regular files inside the attempt folder, within the cap. */
function readArtifacts(
  workDir: string,
  paths: string[],
  maxBytes: number,
  log: Logger,
): Pick<RemoteOutcome, 'artifacts' | 'skipped'> {
  const artifacts: RemoteOutcome['artifacts'] = [];
  const skipped: string[] = [];
  let total = 0;
  let root: string;
  try {
    root = realpathSync(workDir);
  } catch {
    return { artifacts, skipped: paths.map((p) => `${p}: the attempt folder is gone`) };
  }
  const names = new Set<string>();
  for (const path of paths) {
    try {
      const real = realpathSync(resolve(path));
      const rel = relative(root, real);
      if (rel.startsWith('..') || isAbsolute(rel)) throw new Error('outside the attempt folder');
      const stat = statSync(real);
      if (!stat.isFile()) throw new Error('not a regular file');
      if (total + stat.size > maxBytes) throw new Error(`too large (${maxBytes} bytes in all)`);
      let name = rel.split('/').join('_');
      if (!SAFE_ARTIFACT_NAME.test(name) || name.includes('..')) name = `artifact-${artifacts.length + 1}`;
      while (names.has(name)) name = `x${name}`.slice(0, 100);
      names.add(name);
      const content = readFileSync(real);
      total += content.length;
      artifacts.push({
        name,
        size: content.length,
        sha256: createHash('sha256').update(content).digest('hex'),
        base64: content.toString('base64'),
      });
    } catch (err) {
      skipped.push(`${path}: ${describeError(err)}`);
      log.warn('remote: artifact left out', { path, reason: describeError(err) });
    }
  }
  return { artifacts, skipped };
}
