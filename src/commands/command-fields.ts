/**
 * zod schemas that turn the words a person typed into command fields, with error messages that
 * quote the bad value and say what was expected. A missing word arrives as `undefined`.
 */
import { z } from 'zod';
import { TASK_KEY_RULE, taskKeyProblem } from '../core/task-key.ts';
import { parseBudget } from '../core/usage.ts';
import { AGENT_ID_PATTERN, COMMAND_LIMITS, SKILL_PATTERN, TASK_KEY_PATTERN } from './command-types.ts';

/** Shows a typed value inside a message: single-line, at most 40 characters, in single quotes. */
export function quoteValue(value: unknown): string {
  const flat = String(value).replace(/\s+/g, ' ');
  const chars = [...flat];
  return `'${chars.length > 40 ? `${chars.slice(0, 39).join('')}…` : flat}'`;
}

/** A string field whose absence gets its own message. */
const word = (missing: string) =>
  z.string({
    error: (iss) => (iss.input === undefined ? missing : `expected text, got ${typeof iss.input}`),
  });

/** Turns `T-3`, `t-3`, `#3` and `3` into `T-3`; keeps a creator key as typed; undefined if neither. */
export function toTaskRef(raw: string): string | undefined {
  const bare = raw.startsWith('#') ? raw.slice(1) : raw;
  const numbered = /^(?:t-)?0*(\d{1,15})$/i.exec(bare);
  if (numbered) return `T-${numbered[1] ?? ''}`;
  return TASK_KEY_PATTERN.test(bare) ? bare : undefined;
}

const taskRefProblem = (input: unknown) =>
  `a task is named like T-12, 12 or a key like ORA-001, got ${quoteValue(input)}`;

/** A task id or key, normalised. */
export const taskRefField = word('missing the task (like T-12)').transform((raw, ctx) => {
  const ref = toTaskRef(raw);
  // `T-0` and `0` match the number form but no task has number 0.
  if (ref === undefined || ref === 'T-0') {
    ctx.issues.push({ code: 'custom', message: taskRefProblem(raw), input: raw });
    return z.NEVER;
  }
  return ref;
});

/** An agent id, lowercased, with a leading `@` (a mention typed by habit) dropped. */
export const agentIdField = word('missing the agent id (like designer-001)')
  .transform((raw) => raw.replace(/^@/, '').toLowerCase())
  .pipe(
    z.string().regex(AGENT_ID_PATTERN, {
      error: (iss) =>
        `an agent id is letters, digits, _ and -, starting with a letter or digit (at most 64), got ${quoteValue(iss.input)}`,
    }),
  );

/** A bounded whole number, e.g. `priority must be a whole number from 0 to 9, got 'high'`. */
export function wholeNumberField(label: string, min: number, max: number) {
  const problem = (input: unknown) =>
    `${label} must be a whole number from ${min} to ${max}, got ${quoteValue(input)}`;
  return word(`missing the ${label} (${min} to ${max})`)
    .regex(/^\+?\d{1,9}$/, { error: (iss) => problem(iss.input) })
    .transform(Number)
    .pipe(
      z
        .number()
        .min(min, { error: (iss) => problem(iss.input) })
        .max(max, { error: (iss) => problem(iss.input) }),
    );
}

/** A comma-separated list, lowercased, blanks and repeats dropped. */
const list = (raw: string, lowercase: boolean): string[] => [
  ...new Set(
    raw
      .split(',')
      .map((s) => (lowercase ? s.trim().toLowerCase() : s.trim()))
      .filter((s) => s !== ''),
  ),
];

export const skillsField = word('missing skills')
  .transform((raw) => list(raw, true))
  .pipe(
    z
      .array(
        z.string().regex(SKILL_PATTERN, {
          error: (iss) => `a skill is a-z, 0-9, _ and - (at most 64), got ${quoteValue(iss.input)}`,
        }),
      )
      .min(1, 'skills= needs at least one skill, like skills=web,python')
      .max(COMMAND_LIMITS.maxSkills, `at most ${COMMAND_LIMITS.maxSkills} skills`),
  );

export const dependsOnField = word('missing tasks for after=')
  .transform((raw) => list(raw, false))
  .pipe(
    z
      .array(taskRefField)
      .min(1, 'after= needs at least one task, like after=T-1,T-2')
      .max(COMMAND_LIMITS.maxDependencies, `at most ${COMMAND_LIMITS.maxDependencies} tasks in after=`),
  )
  .transform((refs) => [...new Set(refs)]);

const YES = ['yes', 'y', 'true', 'on', '1'];
const NO = ['no', 'n', 'false', 'off', '0'];
export const reviewField = word('missing yes or no for review').transform((raw, ctx) => {
  const lower = raw.toLowerCase();
  if (YES.includes(lower)) return true;
  if (NO.includes(lower)) return false;
  ctx.issues.push({
    code: 'custom',
    message: `review must be yes or no, got ${quoteValue(raw)}`,
    input: raw,
  });
  return z.NEVER;
});

/**
 * A creator key: one safe folder name ({@link TASK_KEY_RULE}, so `..` or `a/b` cannot lead outside the
 * work root) that does not read as a task number, which would collide with `T-<n>` ids.
 */
export const keyField = word('missing the key').transform((raw, ctx) => {
  const kind = taskKeyProblem(raw);
  const problem =
    kind === 'rule'
      ? `${TASK_KEY_RULE}, got ${quoteValue(raw)}`
      : kind === 'number'
        ? `a key must not look like a task number (T-12 or 12), got ${quoteValue(raw)}; try something like ORA-001`
        : undefined;
  if (problem === undefined) return raw;
  ctx.issues.push({ code: 'custom', message: problem, input: raw });
  return z.NEVER;
});

const UNIT_MS: Readonly<Record<string, number>> = {
  ms: 1,
  s: 1_000,
  sec: 1_000,
  secs: 1_000,
  second: 1_000,
  seconds: 1_000,
  m: 60_000,
  min: 60_000,
  mins: 60_000,
  minute: 60_000,
  minutes: 60_000,
  h: 3_600_000,
  hr: 3_600_000,
  hrs: 3_600_000,
  hour: 3_600_000,
  hours: 3_600_000,
};

/** `90s`, `10m`, `2h`, `1h30m`, `1.5h` or plain seconds, in milliseconds; undefined if unreadable. */
export function toDurationMs(raw: string): number | undefined {
  const text = raw.toLowerCase();
  if (/^\d{1,9}(?:\.\d{1,6})?$/.test(text)) return Math.round(Number(text) * 1_000);
  if (!/^(?:\d{1,9}(?:\.\d{1,6})?[a-z]{1,7}){1,4}$/.test(text)) return undefined;
  let total = 0;
  for (const part of text.matchAll(/(\d+(?:\.\d+)?)([a-z]+)/g)) {
    const unit = UNIT_MS[part[2] ?? ''];
    if (unit === undefined) return undefined;
    total += Number(part[1]) * unit;
  }
  return Math.round(total);
}

export const timeoutField = word('missing the timeout').transform((raw, ctx) => {
  const ms = toDurationMs(raw);
  const { minTimeoutMs, maxTimeoutMs } = COMMAND_LIMITS;
  const problem =
    ms === undefined
      ? `timeout must be a duration like 90s, 10m or 2h (or plain seconds), got ${quoteValue(raw)}`
      : ms < minTimeoutMs || ms > maxTimeoutMs
        ? `timeout must be from 1s to 24h, got ${quoteValue(raw)}`
        : undefined;
  if (problem === undefined && ms !== undefined) return ms;
  ctx.issues.push({ code: 'custom', message: problem ?? 'bad timeout', input: raw });
  return z.NEVER;
});

/** A task budget (`budget=$2`, `budget=500ktok`, `budget=$2,500ktok`); see `parseBudget`. */
export const budgetField = word('missing the budget').transform((raw, ctx) => {
  const parsed = parseBudget(raw);
  if (parsed.ok) return parsed.budget;
  ctx.issues.push({ code: 'custom', message: parsed.problem, input: raw });
  return z.NEVER;
});

/** The task title: required, at most 200 characters (counted as a person would). */
export const titleField = word('a task needs a title, like /task Fix the login page')
  .trim()
  .min(1, 'the task title is empty')
  .refine((title) => [...title].length <= COMMAND_LIMITS.maxTitleChars, {
    error: (iss) =>
      `the title is ${[...String(iss.input)].length} characters; the most is ${COMMAND_LIMITS.maxTitleChars} (put details on the lines below it)`,
  });

/** Free text that must not be empty (feedback, a note, an answer). */
export const requiredTextField = (missing: string) => word(missing).trim().min(1, missing);
