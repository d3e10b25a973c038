import { ALWAYS_SECRET_ENV } from '../config/config-schema.ts';
import { join } from 'node:path';
import { toFolderSegment } from './attempt-folder.ts';
import { DEPS_FILE, DEPS_FOLDER } from './dependency-handoff.ts';
import type { WorkerContext } from './worker.ts';

/** The parts of a worker context a shell command is told about. */
export type ShellTaskInfo = Pick<WorkerContext, 'task' | 'attempt' | 'agentId' | 'workDir' | 'dependencies'>;

/** A dependency's result in the environment is cut here; the whole text is in its `_RESULT_FILE`. */
export const MAX_DEP_RESULT_ENV_CHARS = 8_000;

/**
 * Linux refuses to exec a single environment string over 128 KiB (MAX_ARG_STRLEN); 32k characters stay
 * under it even at four UTF-8 bytes each. The full task is always on standard input.
 */
export const MAX_ENV_VALUE_CHARS = 32_000;

/** Makes a string safe as an environment value: no NUL (spawn rejects it), bounded length. */
export function toEnvValue(value: string): string {
  const clean = value.replaceAll('\0', '');
  return clean.length <= MAX_ENV_VALUE_CHARS ? clean : clean.slice(0, MAX_ENV_VALUE_CHARS - 1) + '…';
}

/** The SWARM_* variables that carry the task to a shell worker. */
export function toTaskEnv(info: ShellTaskInfo): Record<string, string> {
  const { task } = info;
  const vars: Record<string, string> = {
    SWARM_TASK_ID: task.id,
    SWARM_TASK_TITLE: task.title,
    SWARM_TASK_BODY: task.body,
    SWARM_TASK_SKILLS: task.skills.join(','),
    SWARM_TASK_NOTES: task.notes.join('\n'),
    SWARM_ATTEMPT: String(info.attempt),
    SWARM_MAX_ATTEMPTS: String(task.maxAttempts),
    SWARM_AGENT_ID: info.agentId,
    SWARM_WORKDIR: info.workDir,
  };
  Object.assign(vars, toDependencyEnv(info));
  for (const key of Object.keys(vars)) vars[key] = toEnvValue(vars[key]!);
  return vars;
}

/**
 * The dependencies' results (hand-off), numbered from 1 in the task's `after=` order:
 * `SWARM_DEP_COUNT`, `SWARM_DEP_<n>_ID`, `_TITLE`, `_RESULT` (cut at {@link MAX_DEP_RESULT_ENV_CHARS}),
 * `_RESULT_FILE` (the whole result), `_ARTIFACTS` (the copies' paths, one a line), and
 * `SWARM_DEPS_FILE` (all of it as JSON). Nothing when the task depends on nothing.
 */
export function toDependencyEnv(
  info: Pick<ShellTaskInfo, 'workDir' | 'dependencies'>,
): Record<string, string> {
  const deps = info.dependencies ?? [];
  if (!deps.length) return {};
  const vars: Record<string, string> = {
    SWARM_DEP_COUNT: String(deps.length),
    SWARM_DEPS_FILE: join(info.workDir, DEPS_FOLDER, DEPS_FILE),
  };
  deps.forEach((dep, i) => {
    const n = `SWARM_DEP_${i + 1}`;
    const cut = dep.result.length > MAX_DEP_RESULT_ENV_CHARS;
    vars[`${n}_ID`] = dep.taskId;
    vars[`${n}_TITLE`] = dep.title;
    vars[`${n}_RESULT`] = cut ? dep.result.slice(0, MAX_DEP_RESULT_ENV_CHARS - 1) + '…' : dep.result;
    vars[`${n}_RESULT_FILE`] = join(info.workDir, DEPS_FOLDER, toFolderSegment(dep.taskId), 'result.txt');
    vars[`${n}_ARTIFACTS`] = dep.artifacts.map((a) => a.path).join('\n');
  });
  return vars;
}

/** Variables a worker gets from the agent's environment when they are set (plus every `LC_*`). */
export const BASE_ENV_NAMES = [
  'PATH',
  'HOME',
  'USER',
  'LOGNAME',
  'SHELL',
  'LANG',
  'LANGUAGE',
  'TZ',
  'TMPDIR',
  'TERM',
  'COLORTERM',
] as const;

/** What a worker's environment is built from, besides the base and the task. */
export interface WorkerEnvPolicy {
  /** Fixed variables (the config's `agents[].env`). */
  env?: Record<string, string>;
  /** Names of variables copied from the agent's environment (the config's `agents[].passEnv`). */
  passEnv?: readonly string[];
  /** Names that never reach the worker (every `tokenEnv`); {@link ALWAYS_SECRET_ENV} is added. */
  withheld?: readonly string[];
}

const isValidName = (key: string): boolean => key !== '' && !key.includes('\0') && !key.includes('=');

/**
 * The whole environment of a worker, built from an allowlist, never from everything the agent has:
 * 1. the base ({@link BASE_ENV_NAMES} and `LC_*`) copied from the agent's environment;
 * 2. `env`, fixed values from the config;
 * 3. the variables named in `passEnv`, copied from the agent's environment;
 * 4. the task's SWARM_* variables (last, so a worker can rely on them).
 * A withheld name (any `tokenEnv`, SWARM_AUDIT_KEY, the default token names) is dropped at every step,
 * even when `env` or `passEnv` names it; the config refuses such a listing too.
 */
export function toShellEnv(
  info: ShellTaskInfo,
  policy: WorkerEnvPolicy = {},
  source: NodeJS.ProcessEnv = process.env,
): Record<string, string> {
  const withheld = new Set<string>([...ALWAYS_SECRET_ENV, ...(policy.withheld ?? [])]);
  const env: Record<string, string> = {};
  const put = (key: string, value: string | undefined): void => {
    if (value !== undefined && isValidName(key) && !withheld.has(key)) env[key] = toEnvValue(value);
  };
  for (const [key, value] of Object.entries(source)) {
    if ((BASE_ENV_NAMES as readonly string[]).includes(key) || key.startsWith('LC_')) put(key, value);
  }
  for (const [key, value] of Object.entries(policy.env ?? {})) put(key, value);
  for (const key of policy.passEnv ?? []) put(key, source[key]);
  return { ...env, ...toTaskEnv(info) };
}

/**
 * The one line of JSON written to the command's standard input when it starts; `dependencies` (the
 * finished tasks this one waited for, with their results and artifact copies) when there are any.
 */
export function toTaskStdinLine(info: ShellTaskInfo): string {
  return (
    JSON.stringify({
      task: info.task,
      attempt: info.attempt,
      agentId: info.agentId,
      workDir: info.workDir,
      ...(info.dependencies?.length ? { dependencies: info.dependencies } : {}),
    }) + '\n'
  );
}
