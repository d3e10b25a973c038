/**
 * The lines of a `task import` file, read as tasks by exactly the rules of `task add` (and so of the
 * chat's `/task`): one JSON object a line, each field what the `task add` option of that name takes.
 */
import { z } from 'zod';
import { quoteValue } from '../commands/command-fields.ts';
import type { TaskCommand } from '../commands/command-types.ts';
import { checkTaskFields } from './cmd-task-add.ts';
import { MAX_CLI_TEXT_BYTES } from './cli-text.ts';
import { closestName } from './parse-cli-args.ts';

/** One task of the file and the line it came from (counting from 1, blank and `#` lines included). */
export interface ImportedTask {
  line: number;
  command: TaskCommand;
}

/** A line that is not a task, and why. */
export interface LineProblem {
  line: number;
  problem: string;
}

/** What a file holds: its tasks in order, or the problems of its bad lines. */
export interface ImportLines {
  tasks: ImportedTask[];
  problems: LineProblem[];
  /**
   * For each task (by index in `tasks`), the tasks in its `after` that no line above names by key:
   * they must already be in the ledger.
   */
  outside: Map<number, string[]>;
}

/** The fields a line may have, in the order the usage lists them. */
export const IMPORT_FIELDS = [
  'title',
  'body',
  'skills',
  'priority',
  'after',
  'review',
  'key',
  'attempts',
  'timeout',
  'budget',
] as const;

/** How a JSON value is named in a message (never the value itself: it may be long or secret). */
function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'an object';
  return typeof value === 'string' ? 'text' : `a ${typeof value}`;
}

/** A field that must be a JSON string. */
const text = (name: string, expected: string) =>
  z.string({ error: (iss) => `"${name}" must be ${expected}, got ${kindOf(iss.input)}` });

/** A field that takes a JSON number too, read as the same digits typed after the option. */
const textOrNumber = (name: string, expected: string) =>
  z.preprocess((v) => (typeof v === 'number' ? String(v) : v), text(name, expected));

/** The JSON shape of a line; the values are then checked by `task add`'s rules. */
const LineSchema = z.strictObject({
  title: z.string({
    error: (iss) =>
      iss.input === undefined ? 'a task needs a "title"' : `"title" must be text, got ${kindOf(iss.input)}`,
  }),
  body: text('body', 'text').optional(),
  skills: text('skills', 'one text of comma-separated skills, like "web,python"').optional(),
  priority: textOrNumber('priority', 'a whole number from 0 to 9').optional(),
  after: text('after', 'one text of comma-separated tasks, like "T-1,T-2"').optional(),
  review: z
    .boolean({ error: (iss) => `"review" must be true or false, got ${kindOf(iss.input)}` })
    .optional(),
  key: text('key', 'text').optional(),
  attempts: textOrNumber('attempts', 'a whole number').optional(),
  timeout: textOrNumber('timeout', 'a duration like "10m", or seconds').optional(),
  budget: text('budget', 'text like "$2" or "500ktok"').optional(),
});

/** A zod issue of the line's shape as one phrase; an unknown field gets the closest known one. */
function shapeProblem(issue: z.core.$ZodIssue): string {
  if (issue.code !== 'unrecognized_keys') return issue.message;
  const [first] = issue.keys;
  const close = first === undefined ? undefined : closestName(first, IMPORT_FIELDS);
  const names = issue.keys.map((k) => quoteValue(k)).join(', ');
  return `unknown field${issue.keys.length > 1 ? 's' : ''} ${names}${close ? `; did you mean "${close}"?` : ''} (the fields: ${IMPORT_FIELDS.join(', ')})`;
}

/** Where JSON.parse stopped, from its message, without the snippet of the line newer engines quote. */
function jsonProblem(err: unknown): string {
  const message = err instanceof Error ? err.message : '';
  const at = /position (\d+)/.exec(message)?.[1];
  if (/Unexpected end/i.test(message)) return 'not valid JSON: the line ends too soon';
  return `not valid JSON${at !== undefined ? ` (at character ${Number(at) + 1})` : ''}`;
}

/** True for a line that holds a task: not blank, not a `#` comment. */
export const isTaskLine = (line: string): boolean => {
  const trimmed = line.trim();
  return trimmed !== '' && !trimmed.startsWith('#');
};

/** The file's lines, split on LF or CRLF, a leading byte-order mark dropped. */
export const splitLines = (input: string): string[] => input.replace(/^\uFEFF/, '').split(/\r?\n/);

/** One line as a task command, or the problem. */
function lineTask(raw: string): { ok: true; command: TaskCommand } | { ok: false; problem: string } {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch (err) {
    return { ok: false, problem: jsonProblem(err) };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return {
      ok: false,
      problem: `a line is one JSON object like {"title": "Fix the login page"}, got ${kindOf(value)}`,
    };
  const shape = LineSchema.safeParse(value);
  if (!shape.success) {
    const problems = [...new Set(shape.error.issues.map(shapeProblem))];
    return { ok: false, problem: problems.slice(0, 3).join('; ') };
  }
  const f = shape.data;
  if (/[\r\n\u2028\u2029]/.test(f.title))
    return { ok: false, problem: 'a title is one line; put the details in "body"' };
  if (f.body !== undefined && Buffer.byteLength(f.body, 'utf8') > MAX_CLI_TEXT_BYTES)
    return {
      ok: false,
      problem: `the body is ${Buffer.byteLength(f.body, 'utf8')} bytes; the most is ${MAX_CLI_TEXT_BYTES} (1 MiB)`,
    };
  const checked = checkTaskFields(
    {
      titleWords: [f.title],
      body: f.body,
      skills: f.skills,
      priority: f.priority,
      after: f.after,
      review: f.review,
      key: f.key,
      attempts: f.attempts,
      timeout: f.timeout,
      budget: f.budget,
    },
    (field) => `"${field}"`,
  );
  return checked.ok ? { ok: true, command: checked.value } : { ok: false, problem: checked.problem };
}

/**
 * Reads every line (blank and `#` lines skipped). A key may name one line only; `after` may name
 * a key of a line above (created first) or a task already in the ledger, never a line below.
 */
export function parseImportLines(lines: readonly string[]): ImportLines {
  const tasks: ImportedTask[] = [];
  const problems: LineProblem[] = [];
  const outside = new Map<number, string[]>();
  const keyLine = new Map<string, number>();
  const parsed: ({ line: number; command: TaskCommand } | undefined)[] = [];
  lines.forEach((raw, i) => {
    if (!isTaskLine(raw)) return;
    const line = i + 1;
    const r = lineTask(raw);
    if (!r.ok) problems.push({ line, problem: r.problem });
    else if (r.command.key !== undefined && keyLine.has(r.command.key))
      problems.push({
        line,
        problem: `key ${r.command.key} is also on line ${keyLine.get(r.command.key)}; a key names one task`,
      });
    if (r.ok && r.command.key !== undefined && !keyLine.has(r.command.key)) keyLine.set(r.command.key, line);
    parsed.push(r.ok ? { line, command: r.command } : undefined);
  });
  for (const entry of parsed) {
    if (!entry) continue;
    const { line, command } = entry;
    const below = command.dependsOn.filter((dep) => (keyLine.get(dep) ?? 0) > line);
    if (below.length) {
      problems.push({
        line,
        problem: `"after" names ${below.join(', ')}, the key of line ${keyLine.get(below[0]!)}; a task may wait only for lines above it or tasks in the ledger`,
      });
      continue;
    }
    const fromLedger = command.dependsOn.filter((dep) => !keyLine.has(dep));
    if (fromLedger.length) outside.set(tasks.length, fromLedger);
    tasks.push(entry);
  }
  return { tasks, problems, outside };
}
