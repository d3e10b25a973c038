import { execFile } from 'node:child_process';
import { constants, copyFileSync, lstatSync, mkdirSync, realpathSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { promisify } from 'node:util';
import { toFolderSegment } from '../agents/attempt-folder.ts';
import type { Worker, WorkerContext, WorkerResult } from '../agents/worker.ts';
import { describeError } from '../core/errors.ts';
import type { Logger } from '../core/logger.ts';

const run = promisify(execFile);

/** Where each attempt's worktree comes from (`agents[].worktree`). */
export interface WorktreeOptions {
  /** The repository (absolute, or relative to `baseDir`). */
  repo: string;
  /** What the attempt's branch starts from (default HEAD). */
  base?: string;
  baseDir: string;
  log: Logger;
}

/**
 * A copy, outside the worktree, of a regular file the worker attached from inside it (the worktree
 * is removed before the swarm collects artifacts); the original path when it is not one (outside
 * the worktree, a link, a folder…), so the collector checks it and says why it is refused.
 */
function keepArtifact(path: string, tree: string, keepDir: string): string {
  const rel = relative(tree, path);
  if (rel === '' || rel.startsWith('..') || isAbsolute(rel)) return path;
  try {
    if (!lstatSync(path).isFile()) return path;
    // A folder on the way that is a link could lead anywhere: only a file really inside is copied.
    const real = relative(realpathSync(tree), realpathSync(path));
    if (real === '' || real.startsWith('..') || isAbsolute(real)) return path;
    const copy = join(keepDir, rel);
    mkdirSync(dirname(copy), { recursive: true, mode: 0o700 });
    copyFileSync(path, copy, constants.COPYFILE_EXCL);
    return copy;
  } catch {
    return path;
  }
}

/** Git commands are local and quick; one that hangs (a lock, a hook) must not hold the attempt. */
const GIT_TIMEOUT_MS = 60_000;

async function git(repo: string, args: string[]): Promise<string> {
  const { stdout } = await run('git', ['-C', repo, ...args], {
    timeout: GIT_TIMEOUT_MS,
    maxBuffer: 4 * 1024 * 1024,
  });
  return stdout.trim();
}

/** The error text git gave (its stderr), without the command line Node puts first. */
function gitError(err: unknown): string {
  const e = err as { stderr?: unknown };
  const stderr = typeof e.stderr === 'string' ? e.stderr.trim() : '';
  return stderr || describeError(err);
}

/**
 * The branch of an attempt: `swarm/<task>-<attempt>`. A task id is already one safe folder name
 * (letters, digits, `.`, `_`, `-`, odd bytes as `%XX`, no `..`, never starting with a dot), which
 * is also a valid branch name part, and the attempt number after it keeps `.lock` from ending it.
 */
export function worktreeBranch(taskId: string, attempt: number): string {
  return `swarm/${toFolderSegment(taskId)}-${attempt}`;
}

/**
 * Runs each attempt of `worker` in a fresh git worktree of the repository, on its own branch named
 * after the task, inside the attempt's folder (so artifacts and files stay the attempt's). When the
 * attempt ends the worktree is removed; the branch is kept when the agent committed to it (the
 * result says where), and deleted when it holds nothing new.
 */
export function withGitWorktree(worker: Worker, options: WorktreeOptions): Worker {
  const repo = isAbsolute(options.repo) ? options.repo : resolve(options.baseDir, options.repo);
  const { log } = options;
  return {
    async run(ctx): Promise<WorkerResult> {
      const branch = worktreeBranch(ctx.task.id, ctx.attempt);
      const path = join(ctx.workDir, 'worktree');
      const fields = { taskId: ctx.task.id, attempt: ctx.attempt, repo, branch };
      let base: string;
      try {
        await git(repo, ['check-ref-format', '--branch', branch]);
        base = await git(repo, ['rev-parse', '--verify', `${options.base ?? 'HEAD'}^{commit}`]);
        await git(repo, ['worktree', 'add', '-b', branch, path, base]);
      } catch (err) {
        return {
          ok: false,
          error: `could not make a git worktree of ${repo} on branch ${branch}: ${gitError(err)}`,
        };
      }
      log.debug('worktree added', fields);
      const artifacts: string[] = [];
      const inTree: WorkerContext = {
        ...ctx,
        workDir: path,
        // A relative artifact path is relative to where the worker runs: the worktree. They are
        // registered when the run ends, from copies, since the worktree goes before they are collected.
        artifact: (p) => void artifacts.push(isAbsolute(p) ? p : join(path, p)),
      };
      let result: WorkerResult;
      try {
        result = await worker.run(inTree);
      } finally {
        for (const p of artifacts) ctx.artifact(keepArtifact(p, path, join(ctx.workDir, 'worktree-files')));
        try {
          await git(repo, ['worktree', 'remove', '--force', path]);
        } catch (err) {
          log.warn('worktree could not be removed', { ...fields, error: gitError(err) });
        }
      }
      try {
        const commits = Number(await git(repo, ['rev-list', '--count', `${base}..${branch}`]));
        if (commits > 0) {
          const note = `(${commits} commit(s) on branch ${branch} of ${repo})`;
          return result.ok
            ? { ok: true, output: `${result.output}\n\n${note}` }
            : { ok: false, error: `${result.error}\n${note}` };
        }
        await git(repo, ['branch', '-D', branch]);
      } catch (err) {
        log.warn('worktree branch could not be checked or removed', { ...fields, error: gitError(err) });
      }
      return result;
    },
  };
}
