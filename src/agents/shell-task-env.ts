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

/**
 * The full environment of the command: this process's, then the configured extras, then the task's
 * variables (last, so a worker can rely on them).
 */
export function toShellEnv(info: ShellTaskInfo, extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries({ ...process.env, ...extra })) {
    if (value !== undefined && key !== '' && !key.includes('\0') && !key.includes('='))
      env[key] = toEnvValue(value);
  }
  return { ...env, ...toTaskEnv(info) };
}

/** The one line of JSON written to the command's standard input when it starts. */
export function toTaskStdinLine(info: ShellTaskInfo): string {
  return (
    JSON.stringify({ task: info.task, attempt: info.attempt, agentId: info.agentId, workDir: info.workDir }) +
    '\n'
  );
}
