/**
 * The rule for a creator's task key (`ORA-001`). A key becomes the task id and names the task's
 * working folder, so it must be one safe path segment: never `.`, `..`, a path, or a hidden name.
 */

/** 1 to 64 characters: letters, digits, `.`, `_`, `-`; the first a letter or digit. */
export const SAFE_TASK_KEY = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** `T-12`, `t-12` or `12`: what people type to name a numbered task, so no key may look like it. */
export const TASK_NUMBER_LIKE = /^(?:t-)?\d+$/i;

/** The rule in words, for every refusal. */
export const TASK_KEY_RULE =
  "a key is 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit, with no '..'";

/**
 * Why `key` cannot be a task key: `rule` when it breaks {@link TASK_KEY_RULE}, `number` when it
 * reads as a task number; undefined when it is a good key.
 */
export function taskKeyProblem(key: string): 'rule' | 'number' | undefined {
  if (!SAFE_TASK_KEY.test(key) || key.includes('..')) return 'rule';
  if (TASK_NUMBER_LIKE.test(key)) return 'number';
  return undefined;
}
