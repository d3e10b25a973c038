/**
 * What a schedule is: when it fires (a cron expression in a time zone, or a fixed interval), the
 * task each slot makes, and what to do with missed and overlapping slots. One zod schema checks a
 * schedule wherever it comes from (the config file, the chat, the CLI), so the same input gets the
 * same verdict and the same message everywhere.
 */
import { Cron } from 'croner';
import { z } from 'zod';
import { quoteValue, titleField, toDurationMs } from '../commands/command-fields.ts';
import { COMMAND_LIMITS, SKILL_PATTERN } from '../commands/command-types.ts';
import { SCHEDULE_ID_PATTERN, SCHEDULE_ID_RULE } from '../core/schedule-key.ts';
import {
  MISSED_POLICIES,
  OVERLAP_POLICIES,
  type MissedPolicy,
  type ScheduleDefinition,
  type ScheduleSpec,
  type TaskTemplate,
} from '../core/schedule-types.ts';
import { hostTimeZone, resolveTimeZone } from './zone-time.ts';

export const SCHEDULE_LIMITS = {
  minEveryMs: 1_000,
  maxEveryMs: 366 * 86_400_000,
  defaultCatchUpCap: 10,
  maxCatchUpCap: 100_000,
} as const satisfies Record<string, number>;

/** Options croner reads every expression with; the slot clock uses the same. */
export const CRON_OPTIONS = { mode: '5-or-6-parts', paused: true } as const;

/** Why a cron expression cannot be used, or undefined when it can. */
export function cronProblem(expression: string, timezone: string): string | undefined {
  let job: Cron | undefined;
  try {
    job = new Cron(expression, { ...CRON_OPTIONS, timezone });
    // A fixed reference keeps the check independent of today's date.
    if (job.nextRun(new Date(Date.UTC(2000, 0, 1))) === null)
      return `cron ${quoteValue(expression)} never matches a date (like 30 February)`;
    return undefined;
  } catch (err) {
    const why = (err instanceof Error ? err.message : String(err)).replace(/^CronPattern: /, '');
    return `cron ${quoteValue(expression)} is not a valid expression: ${why}. Write 5 fields (minute hour day month weekday, like "0 2 * * *") or 6 with seconds first`;
  } finally {
    job?.stop();
  }
}

/** An interval: `1d` or `2w`, or a duration `toDurationMs` reads (`90s`, `15m`, `1h30m`). */
function intervalMs(raw: string): number | undefined {
  const days = /^(\d{1,3})\s*(d|days?|w|weeks?)$/i.exec(raw.trim());
  if (days) return Number(days[1]) * (days[2]!.toLowerCase().startsWith('w') ? 7 : 1) * 86_400_000;
  return toDurationMs(raw);
}

/** Reads `latest`, `skip`, `all` or `all:N`. */
export function parseMissedPolicy(raw: string): { policy: MissedPolicy; cap: number } | string {
  const m = /^(latest|skip|all)(?::(\d{1,6}))?$/i.exec(raw.trim());
  const problem = `missed must be latest, skip, all or all:N (run each missed slot, at most N), got ${quoteValue(raw)}`;
  if (!m) return problem;
  const policy = (m[1] ?? '').toLowerCase() as MissedPolicy;
  if (m[2] !== undefined && policy !== 'all')
    return `only missed=all takes a cap (all:N), got ${quoteValue(raw)}`;
  const cap = m[2] === undefined ? SCHEDULE_LIMITS.defaultCatchUpCap : Number(m[2]);
  if (cap < 1 || cap > SCHEDULE_LIMITS.maxCatchUpCap)
    return `the cap in missed=all:N must be from 1 to ${SCHEDULE_LIMITS.maxCatchUpCap}, got ${quoteValue(raw)}`;
  return { policy, cap: policy === 'all' ? cap : 1 };
}

/** `all:10`, `latest`, `skip`: the form people write, for lists and messages. */
export function missedText(missed: ScheduleDefinition['missed']): string {
  return missed.policy === 'all' ? `all:${missed.cap}` : missed.policy;
}

const templateSchema = z
  .object({
    title: titleField,
    body: z.string().max(COMMAND_LIMITS.maxInputChars).default(''),
    skills: z
      .array(z.string().regex(SKILL_PATTERN, 'a skill is a-z, 0-9, _ and - (at most 64)'))
      .max(COMMAND_LIMITS.maxSkills)
      .default([]),
    priority: z
      .number()
      .int()
      .min(COMMAND_LIMITS.minPriority)
      .max(COMMAND_LIMITS.maxPriority)
      .default(COMMAND_LIMITS.defaultPriority),
    review: z.boolean().default(false),
    attempts: z
      .number()
      .int()
      .min(COMMAND_LIMITS.minAttempts)
      .max(COMMAND_LIMITS.maxAttempts)
      .default(COMMAND_LIMITS.defaultAttempts),
    /** A duration like `30m` (or seconds), from 1s to 24h. */
    timeout: z.union([z.string(), z.number()]).optional(),
  })
  .strict();

/** A schedule as written in the config file (and built from chat and CLI commands). */
export const scheduleInputSchema = z
  .object({
    id: z.string().regex(SCHEDULE_ID_PATTERN, SCHEDULE_ID_RULE),
    cron: z.string().trim().min(1).optional(),
    /** An interval like `15m`, `1h` or `90s`. */
    every: z.union([z.string(), z.number()]).optional(),
    /** IANA name, like Europe/Berlin; default: this machine's zone. */
    timezone: z.string().optional(),
    task: templateSchema,
    missed: z.string().default('latest'),
    overlap: z.enum(OVERLAP_POLICIES, { error: 'overlap must be skip or allow' }).default('skip'),
  })
  .strict()
  .transform((input, ctx): ScheduleSpec => {
    const issue = (path: string, message: string): void => {
      ctx.issues.push({ code: 'custom', path: [path], message, input });
    };
    const timezone = input.timezone === undefined ? hostTimeZone() : resolveTimeZone(input.timezone);
    if (timezone === undefined)
      issue(
        'timezone',
        `unknown time zone ${quoteValue(input.timezone)}; use an IANA name like Europe/Berlin, America/New_York or UTC`,
      );
    const definition: Partial<ScheduleDefinition> = { timezone: timezone ?? 'UTC' };
    if ((input.cron === undefined) === (input.every === undefined)) {
      issue('cron', 'give exactly one of cron (like "0 2 * * *") or every (like 15m)');
    } else if (input.cron !== undefined) {
      const cron = input.cron.replace(/\s+/g, ' ');
      const problem = timezone === undefined ? undefined : cronProblem(cron, timezone);
      if (problem !== undefined) issue('cron', problem);
      definition.cron = cron;
    } else {
      const everyMs = intervalMs(String(input.every));
      if (
        everyMs === undefined ||
        everyMs < SCHEDULE_LIMITS.minEveryMs ||
        everyMs > SCHEDULE_LIMITS.maxEveryMs ||
        everyMs % 1_000 !== 0
      )
        issue(
          'every',
          `every must be whole seconds from 1s to 366 days, like 90s, 15m, 2h or 1d, got ${quoteValue(input.every)}`,
        );
      else definition.everyMs = everyMs;
    }
    const missed = parseMissedPolicy(input.missed);
    if (typeof missed === 'string') issue('missed', missed);
    else definition.missed = missed;
    definition.overlap = input.overlap;
    const t = input.task;
    const task: TaskTemplate = {
      title: t.title,
      body: t.body.trimEnd(),
      skills: [...new Set(t.skills)],
      priority: t.priority,
      review: t.review,
      maxAttempts: t.attempts,
    };
    if (t.timeout !== undefined) {
      const ms = toDurationMs(String(t.timeout));
      if (ms === undefined || ms < COMMAND_LIMITS.minTimeoutMs || ms > COMMAND_LIMITS.maxTimeoutMs)
        issue(
          'task',
          `task.timeout must be a duration from 1s to 24h, like 10m, got ${quoteValue(t.timeout)}`,
        );
      else task.timeoutMs = ms;
    }
    definition.task = task;
    return { id: input.id, definition: definition as ScheduleDefinition };
  });

/** Raw schedule input: the config's JSON shape. */
export type ScheduleInput = z.input<typeof scheduleInputSchema>;

/** Checks a schedule; the problem names each bad field and how to write it. */
export function checkSchedule(
  input: unknown,
): { ok: true; spec: ScheduleSpec } | { ok: false; problem: string } {
  const parsed = scheduleInputSchema.safeParse(input);
  if (parsed.success) return { ok: true, spec: parsed.data };
  const messages = parsed.error.issues.map((i) =>
    i.path.length && i.code !== 'custom' ? `${i.path.join('.')}: ${i.message}` : i.message,
  );
  return { ok: false, problem: [...new Set(messages)].slice(0, 4).join('; ') };
}

const storedSchema = z.object({
  cron: z.string().optional(),
  everyMs: z.number().int().positive().optional(),
  timezone: z.string(),
  task: z.object({
    title: z.string(),
    body: z.string(),
    skills: z.array(z.string()),
    priority: z.number(),
    review: z.boolean(),
    maxAttempts: z.number(),
    timeoutMs: z.number().optional(),
  }),
  missed: z.object({ policy: z.enum(MISSED_POLICIES), cap: z.number().int().positive() }),
  overlap: z.enum(OVERLAP_POLICIES),
});

/** A definition read back from the ledger; undefined when the stored JSON is not one. */
export function toDefinition(json: string): ScheduleDefinition | undefined {
  try {
    const parsed = storedSchema.safeParse(JSON.parse(json));
    return parsed.success ? (parsed.data as ScheduleDefinition) : undefined;
  } catch {
    return undefined;
  }
}

/** The definition as stored: keys in one order, so an unchanged definition compares equal. */
export function definitionJson(d: ScheduleDefinition): string {
  const task: TaskTemplate = {
    title: d.task.title,
    body: d.task.body,
    skills: d.task.skills,
    priority: d.task.priority,
    review: d.task.review,
    maxAttempts: d.task.maxAttempts,
  };
  if (d.task.timeoutMs !== undefined) task.timeoutMs = d.task.timeoutMs;
  const ordered: ScheduleDefinition = {
    ...(d.cron !== undefined ? { cron: d.cron } : {}),
    ...(d.everyMs !== undefined ? { everyMs: d.everyMs } : {}),
    timezone: d.timezone,
    task,
    missed: { policy: d.missed.policy, cap: d.missed.cap },
    overlap: d.overlap,
  };
  return JSON.stringify(ordered);
}

/** `0 2 * * * (Europe/Berlin)` or `every 15m`: when a schedule fires, for lists and messages. */
export function triggerText(d: ScheduleDefinition): string {
  if (d.cron !== undefined) return `cron ${d.cron} (${d.timezone})`;
  return `every ${durationText(d.everyMs ?? 0)}`;
}

/** `1h30m`, `15m`, `90s` → `1m30s`: a duration in the largest whole units. */
export function durationText(ms: number): string {
  let s = Math.round(ms / 1_000);
  const parts: string[] = [];
  for (const [unit, size] of [
    ['d', 86_400],
    ['h', 3_600],
    ['m', 60],
    ['s', 1],
  ] as const) {
    if (s >= size) {
      parts.push(`${Math.floor(s / size)}${unit}`);
      s %= size;
    }
  }
  return parts.join('') || '0s';
}

export type {
  MissedPolicy,
  OverlapPolicy,
  ScheduleDefinition,
  ScheduleSpec,
  TaskTemplate,
} from '../core/schedule-types.ts';
