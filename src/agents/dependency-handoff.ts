import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describeError } from '../core/errors.ts';
import type { Logger } from '../core/logger.ts';
import type { Task } from '../core/types.ts';
import type { Ledger } from '../ledger/ledger.ts';
import { toFolderSegment } from './attempt-folder.ts';
import type { DependencyResult } from './worker.ts';

/** Folder inside the attempt's folder that holds the dependencies' results and artifact copies. */
export const DEPS_FOLDER = 'deps';
/** The file with every dependency's result and artifacts, as JSON (`SWARM_DEPS_FILE`). */
export const DEPS_FILE = 'deps.json';

interface StoredArtifact {
  name: string;
  path: string;
  bytes: number;
  sha256: string;
}

function isStoredArtifact(raw: unknown): raw is StoredArtifact {
  const r = raw as Partial<StoredArtifact> | null;
  return (
    typeof r === 'object' &&
    r !== null &&
    typeof r.name === 'string' &&
    typeof r.path === 'string' &&
    typeof r.sha256 === 'string' &&
    typeof r.bytes === 'number'
  );
}

/** The artifacts the dependency's accepted result attached (its newest done or review event). */
function artifactsOf(ledger: Ledger, taskId: string): StoredArtifact[] {
  const events = ledger.events({ taskId });
  for (let i = events.length - 1; i >= 0; i--) {
    const e = events[i]!;
    if (e.type !== 'task_done' && e.type !== 'task_review') continue;
    const list: unknown[] = Array.isArray(e.data.artifacts) ? e.data.artifacts : [];
    return list.filter(isStoredArtifact);
  }
  return [];
}

/** A private file (0600 whatever the umask). */
function writePrivate(path: string, data: string | Buffer): void {
  writeFileSync(path, data, { mode: 0o600 });
  chmodSync(path, 0o600);
}

/**
 * Hands the finished dependencies of a task to its attempt: for each one, `deps/<task>/result.txt`
 * and a copy of each artifact (checked against the SHA-256 recorded when the swarm stored it, so the
 * worker reads the swarm's copy as it was, and cannot change the stored one), plus `deps/deps.json`
 * with everything. Returns what the worker context carries; a copy that fails is left out and logged.
 */
export function prepareDependencies(
  ledger: Ledger,
  task: Task,
  workDir: string,
  log: Logger,
): DependencyResult[] {
  if (!task.dependsOn.length) return [];
  const root = join(workDir, DEPS_FOLDER);
  mkdirSync(root, { recursive: true, mode: 0o700 });
  const results: DependencyResult[] = [];
  for (const depId of task.dependsOn) {
    const dep = ledger.getTask(depId);
    if (!dep) continue;
    const dir = join(root, toFolderSegment(depId));
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const result = dep.result ?? '';
    writePrivate(join(dir, 'result.txt'), result);
    const artifacts: DependencyResult['artifacts'] = [];
    for (const stored of artifactsOf(ledger, depId)) {
      const name = toFolderSegment(stored.name);
      try {
        const bytes = readFileSync(stored.path);
        const sha256 = createHash('sha256').update(bytes).digest('hex');
        if (sha256 !== stored.sha256) {
          log.warn('dependency artifact changed since it was stored; not handed on', {
            taskId: task.id,
            dependency: depId,
            name: stored.name,
          });
          continue;
        }
        const path = join(dir, name);
        writePrivate(path, bytes);
        artifacts.push({ name: stored.name, path, bytes: bytes.length, sha256 });
      } catch (err) {
        log.warn('dependency artifact could not be handed on', {
          taskId: task.id,
          dependency: depId,
          name: stored.name,
          error: describeError(err),
        });
      }
    }
    results.push({ taskId: depId, title: dep.title, result, artifacts });
  }
  writePrivate(join(root, DEPS_FILE), JSON.stringify({ dependencies: results }, null, 2) + '\n');
  return results;
}
