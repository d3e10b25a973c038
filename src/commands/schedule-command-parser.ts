/**
 * Reads `/schedule <action> …`. For `add`, the schedule's own options (`cron=`, `every=`, `tz=`,
 * `missed=`, `overlap=`) are taken off the title line and the rest is read by the `/task` grammar,
 * so a schedule's task template is checked exactly like a task; then the whole schedule is checked
 * by `checkSchedule`, the same check the config file gets.
 */
import { SCHEDULE_ID_PATTERN, SCHEDULE_ID_RULE } from '../core/schedule-key.ts';
import { checkSchedule } from '../schedules/schedule-spec.ts';
import { argTokens, type CommandArgs, type Parsed } from './command-args.ts';
import { quoteValue } from './command-fields.ts';
import { tokenize, type Token } from './command-text.ts';
import { SCHEDULE_ACTIONS, type CommandOf, type ScheduleAction } from './command-types.ts';
import { parseTaskCommand } from './task-command-parser.ts';

type ScheduleCommand = CommandOf<'schedule'>;

const ACTION_WORDS: Readonly<Record<string, ScheduleAction>> = {
  add: 'add',
  new: 'add',
  create: 'add',
  list: 'list',
  ls: 'list',
  show: 'list',
  pause: 'pause',
  resume: 'resume',
  remove: 'remove',
  rm: 'remove',
  delete: 'remove',
  run: 'run',
};

type ScheduleOption = 'cron' | 'every' | 'timezone' | 'missed' | 'overlap';

const OPTION_WORDS: Readonly<Record<string, ScheduleOption>> = {
  cron: 'cron',
  every: 'every',
  tz: 'timezone',
  timezone: 'timezone',
  zone: 'timezone',
  missed: 'missed',
  overlap: 'overlap',
};

const OPTION = /^-{0,2}([A-Za-z][A-Za-z-]*)[=:](.+)$/s;

const fail = (problem: string): Parsed<never> => ({ ok: false, problem });

/** Parses the `/schedule` arguments, or says what was wrong. */
export function parseScheduleCommand(args: CommandArgs): Parsed<ScheduleCommand> {
  const [actionToken, idToken, ...rest] = argTokens(args);
  if (actionToken === undefined) return fail(`say what to do: /schedule ${SCHEDULE_ACTIONS.join(', ')}`);
  const action = ACTION_WORDS[actionToken.text.toLowerCase()];
  if (action === undefined)
    return fail(`unknown action ${quoteValue(actionToken.text)}; use one of ${SCHEDULE_ACTIONS.join(', ')}`);
  if (action === 'list') {
    if (idToken !== undefined)
      return fail(`unexpected ${quoteValue(idToken.text)}: /schedule list takes nothing more`);
    return { ok: true, value: { name: 'schedule', action } };
  }
  if (idToken === undefined) return fail(`missing the schedule id, like /schedule ${action} nightly-report`);
  const scheduleId = idToken.text.toLowerCase();
  if (!SCHEDULE_ID_PATTERN.test(scheduleId))
    return fail(`${SCHEDULE_ID_RULE}, got ${quoteValue(idToken.text)}`);
  if (action !== 'add') {
    const [extra] = rest;
    if (extra !== undefined)
      return fail(`unexpected ${quoteValue(extra.text)}: /schedule ${action} takes only the schedule id`);
    return { ok: true, value: { name: 'schedule', action, scheduleId } };
  }
  return parseAdd(args, scheduleId, [actionToken, idToken]);
}

function parseAdd(args: CommandArgs, id: string, head: Token[]): Parsed<ScheduleCommand> {
  const options: Partial<Record<ScheduleOption, string>> = {};
  // What is left for the task grammar: the text with the action, the id and our options blanked.
  let plain = args.plain;
  let view = args.view;
  const blank = (t: Token): void => {
    const spaces = ' '.repeat(t.end - t.start);
    plain = plain.slice(0, t.start) + spaces + plain.slice(t.end);
    view = view.slice(0, t.start) + spaces + view.slice(t.end);
  };
  for (const t of head) blank(t);
  const firstLineEnd = lineEnd(view, args.start);

  const takeOptions = (from: number, to: number): string | undefined => {
    let others = 0;
    for (const t of tokenize(view, from, to)) {
      const m = t.quoted ? null : OPTION.exec(t.text);
      const option = m ? OPTION_WORDS[(m[1] ?? '').toLowerCase()] : undefined;
      if (!m || option === undefined) {
        others++;
        continue;
      }
      if (options[option] !== undefined) return `${option} is given twice`;
      options[option] = (m[2] ?? '').trim();
      blank(t);
    }
    return others === 0 ? 'empty' : undefined;
  };
  let problem = takeOptions(args.start, firstLineEnd);
  if (problem === 'empty') {
    // Nothing but the schedule on the first line: the title (and maybe the options) are on the next.
    const next = nextNonBlankLine(view, firstLineEnd);
    problem = next === undefined ? undefined : takeOptions(next, lineEnd(view, next));
  }
  if (problem !== undefined && problem !== 'empty') return fail(problem);

  const task = parseTaskCommand({ plain, view, start: args.start });
  if (!task.ok) return task;
  const t = task.value;
  if (t.key !== undefined)
    return fail(`leave out key=: each task of a schedule gets its key from its slot (sch.${id}.<time>)`);
  if (t.dependsOn.length > 0) return fail("after= cannot be used in a schedule's task");
  const checked = checkSchedule({
    id,
    ...options,
    task: {
      title: t.title,
      body: t.body,
      skills: t.skills,
      priority: t.priority,
      review: t.review,
      attempts: t.maxAttempts,
      ...(t.timeoutMs !== undefined ? { timeout: `${t.timeoutMs}ms` } : {}),
    },
  });
  if (!checked.ok) return fail(checked.problem);
  return { ok: true, value: { name: 'schedule', action: 'add', scheduleId: id, spec: checked.spec } };
}

function lineEnd(view: string, from: number): number {
  const end = view.indexOf('\n', from);
  return end < 0 ? view.length : end;
}

function nextNonBlankLine(view: string, end: number): number | undefined {
  let at = end;
  while (at < view.length) {
    const start = at + 1;
    const stop = lineEnd(view, start);
    if (view.slice(start, stop).trim() !== '') return start;
    at = stop;
  }
  return undefined;
}
