import { z } from 'zod';
import { validate, type Parsed } from '../commands/command-args.ts';
import {
  budgetField,
  dependsOnField,
  keyField,
  skillsField,
  timeoutField,
  titleField,
  toDurationMs,
  wholeNumberField,
} from '../commands/command-fields.ts';
import { COMMAND_LIMITS, type TaskCommand } from '../commands/command-types.ts';
import { toNewTask } from '../commands/to-new-task.ts';
import type { Task } from '../core/types.ts';
import type { Ledger } from '../ledger/ledger.ts';
import { cliContext, EXIT, withLedgerAsync, type CliIo } from './cli-context.ts';
import { CliError } from './cli-error.ts';
import { fileText, stdinText } from './cli-text.ts';
import { parseCliArgs } from './parse-cli-args.ts';
import { renderWaitResult, WAIT_EXIT, waitForTasks } from './task-wait.ts';

export const TASK_ADD_USAGE = `chat-swarm task add <title> [--body TEXT | --body - | --body-file FILE] [--skills a,b]
                    [--priority 0-9] [--after T-1,T-2] [--review] [--key KEY] [--attempts N]
                    [--timeout 10m] [--budget $2|500ktok] [--json] [--wait [--wait-timeout D] [--until-person]]`;

export const TASK_ADD_OPTIONS = {
  db: { type: 'string' },
  config: { type: 'string' },
  json: { type: 'boolean' },
  body: { type: 'string' },
  'body-file': { type: 'string' },
  skills: { type: 'string' },
  priority: { type: 'string' },
  after: { type: 'string' },
  review: { type: 'boolean' },
  key: { type: 'string' },
  attempts: { type: 'string' },
  timeout: { type: 'string' },
  budget: { type: 'string' },
  wait: { type: 'boolean' },
  'wait-timeout': { type: 'string' },
  'until-person': { type: 'boolean' },
} as const;

/** The chat's `/task` fields, each validated by the same rule (and message) as in the chat. */
const TaskFieldsSchema = z.object({
  title: titleField,
  skills: skillsField.optional(),
  priority: wholeNumberField('priority', COMMAND_LIMITS.minPriority, COMMAND_LIMITS.maxPriority).optional(),
  after: dependsOnField.optional(),
  key: keyField.optional(),
  attempts: wholeNumberField('attempts', COMMAND_LIMITS.minAttempts, COMMAND_LIMITS.maxAttempts).optional(),
  timeout: timeoutField.optional(),
  budget: budgetField.optional(),
});

/** What `task add` was given, before validation. */
export interface TaskAddInput {
  titleWords: string[];
  body: string | undefined;
  skills?: string | undefined;
  priority?: string | undefined;
  after?: string | undefined;
  review?: boolean | undefined;
  key?: string | undefined;
  attempts?: string | undefined;
  timeout?: string | undefined;
  budget?: string | undefined;
}

const usageError = (problem: string): CliError =>
  new CliError(EXIT.usage, `${problem}\nusage: ${TASK_ADD_USAGE}`);

/**
 * Builds the task command from the command line directly: the title is exactly the words given
 * (quotes kept, never read as options), one line; each option goes through the chat's field rules.
 */
export function toTaskCommand(input: TaskAddInput): TaskCommand {
  const title = input.titleWords.join(' ');
  if (/[\r\n\u2028\u2029]/.test(title)) {
    throw usageError(
      'a title is one line; put the details in --body TEXT, --body-file FILE or --body - (standard input)',
    );
  }
  const command = checkTaskFields(input, (field) => `--${field}`);
  if (!command.ok) throw usageError(command.problem);
  return command.value;
}

/**
 * The task command from `task add`'s fields by the chat's rules (the title's words are joined, not
 * checked for line breaks), or what is wrong; `spell` names a field in messages (`--key`, `"key"`).
 */
export function checkTaskFields(
  input: TaskAddInput,
  spell: (field: 'key' | 'after') => string,
): Parsed<TaskCommand> {
  const fields = validate(TaskFieldsSchema, {
    title: input.titleWords.join(' '),
    skills: input.skills,
    priority: input.priority,
    after: input.after,
    key: input.key,
    attempts: input.attempts,
    timeout: input.timeout,
    budget: input.budget,
  });
  if (!fields.ok) return fields;
  const f = fields.value;
  const dependsOn = f.after ?? [];
  if (f.key !== undefined && dependsOn.includes(f.key))
    return {
      ok: false,
      problem: `a task cannot wait for itself: ${spell('key')} ${f.key} is also in ${spell('after')}`,
    };
  const command: TaskCommand = {
    name: 'task',
    title: f.title,
    body: (input.body ?? '').trimEnd(),
    skills: f.skills ?? [],
    priority: f.priority ?? COMMAND_LIMITS.defaultPriority,
    dependsOn,
    review: input.review ?? false,
    maxAttempts: f.attempts ?? COMMAND_LIMITS.defaultAttempts,
  };
  if (f.key !== undefined) command.key = f.key;
  if (f.timeout !== undefined) command.timeoutMs = f.timeout;
  if (f.budget !== undefined) command.budget = f.budget;
  return { ok: true, value: command };
}

/**
 * When a key is reused with other content, the warning to give (the existing task is returned, so a
 * caller's retry stays safe); undefined when the content is the same.
 */
export function keyReuseWarning(ledger: Ledger, existing: Task, command: TaskCommand): string | undefined {
  const differs: string[] = [];
  if (existing.title !== ledger.mask(command.title)) differs.push('title');
  if (existing.body !== ledger.mask(command.body)) differs.push('body');
  const skills = (list: readonly string[]): string => [...list].sort().join(',');
  if (skills(existing.skills) !== skills(command.skills)) differs.push('skills');
  if (!differs.length) return undefined;
  const what = differs.length === 1 ? differs[0] : `${differs.slice(0, -1).join(', ')} and ${differs.at(-1)}`;
  return `key ${command.key ?? existing.id} already names a task with a different ${what}; returned the existing task ${existing.id} (${existing.status})`;
}

/** The body from --body TEXT, --body - (standard input) or --body-file FILE. */
async function bodyOf(
  values: { body?: string; 'body-file'?: string },
  io: CliIo,
): Promise<string | undefined> {
  if (values.body !== undefined && values['body-file'] !== undefined)
    throw usageError('give the body once: --body TEXT, --body - or --body-file FILE');
  if (values['body-file'] !== undefined) return fileText(values['body-file'], io, 'the body');
  if (values.body === '-') return stdinText(io, 'the body');
  return values.body;
}

/** A duration flag (`90s`, `10m`, `2h`, `1d` or seconds), in milliseconds. */
export function durationFlag(flag: string, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const days = /^(\d{1,5})d$/i.exec(raw.trim());
  const ms = days ? Number(days[1]) * 86_400_000 : toDurationMs(raw.trim());
  if (ms === undefined || ms <= 0)
    throw new CliError(EXIT.usage, `--${flag} takes a duration like 90s, 10m, 2h or 1d, got '${raw}'`);
  return ms;
}

/** `chat-swarm task add`: enqueues a task (creating the ledger if needed), optionally waits for it. */
export async function runTaskAdd(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCliArgs({
    args: argv,
    options: TASK_ADD_OPTIONS,
    allowPositionals: true,
    strict: true,
  });
  if (!values.wait && (values['wait-timeout'] !== undefined || values['until-person']))
    throw usageError('--wait-timeout and --until-person go with --wait');
  const waitTimeoutMs = durationFlag('wait-timeout', values['wait-timeout']);
  const command = toTaskCommand({
    titleWords: positionals,
    body: await bodyOf(values, io),
    skills: values.skills,
    priority: values.priority,
    after: values.after,
    review: values.review,
    key: values.key,
    attempts: values.attempts,
    timeout: values.timeout,
    budget: values.budget,
  });
  const ctx = cliContext(values, io);
  const actor = `cli [${io.env.USER ?? 'unknown'}]`;
  return withLedgerAsync(ctx, 'create', async (ledger) => {
    const res = ledger.createTask(toNewTask(command), actor);
    const warning = res.created ? undefined : keyReuseWarning(ledger, res.task, command);
    if (warning) io.err(`warning: ${warning}`);
    const head = { db: ctx.dbPath, created: res.created, ...(warning ? { warning } : {}) };
    if (!values.wait) {
      io.out(
        values.json
          ? JSON.stringify({ ...head, task: res.task })
          : `${res.created ? 'created' : 'exists'} ${res.task.id}`,
      );
      return EXIT.ok;
    }
    if (!values.json) io.out(`${res.created ? 'created' : 'exists'} ${res.task.id}; waiting`);
    const result = await waitForTasks(ledger, [res.task.id], {
      timeoutMs: waitTimeoutMs,
      untilPerson: values['until-person'] ?? false,
    });
    io.out(
      values.json
        ? JSON.stringify({ ...head, outcome: result.outcome, task: result.tasks[0] })
        : renderWaitResult(result),
    );
    return WAIT_EXIT[result.outcome];
  });
}
