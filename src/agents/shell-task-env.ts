import { ALWAYS_SECRET_ENV } from '../config/config-schema.ts';
import type { WorkerContext } from './worker.ts';

/** The parts of a worker context a shell command is told about. */
export type ShellTaskInfo = Pick<WorkerContext, 'task' | 'attempt' | 'agentId' | 'workDir'>;

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
  for (const key of Object.keys(vars)) vars[key] = toEnvValue(vars[key]!);
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

/** The one line of JSON written to the command's standard input when it starts. */
export function toTaskStdinLine(info: ShellTaskInfo): string {
  return (
    JSON.stringify({ task: info.task, attempt: info.attempt, agentId: info.agentId, workDir: info.workDir }) +
    '\n'
  );
}
