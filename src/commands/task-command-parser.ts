/**
 * Reads `/task <title> [name=value ...]` plus body lines. The title is one run of words, with the
 * options before it, after it, or both; an unknown `name=` option, a `--flag` and a word after the
 * options that would split the title are refused rather than silently becoming title words. A
 * quoted word (`"x=5"`) is always title text. A line with only `/task` (or only options) takes its
 * title from the next non-blank line, which suits phones where people press enter after the command.
 */
import { z } from 'zod';
import { validate, type CommandArgs, type Parsed } from './command-args.ts';
import {
  budgetField,
  dependsOnField,
  keyField,
  quoteValue,
  reviewField,
  skillsField,
  timeoutField,
  titleField,
  wholeNumberField,
} from './command-fields.ts';
import { closestMatch } from '../core/closest-match.ts';
import { tokenize, type Token } from './command-text.ts';
import { COMMAND_LIMITS, type TaskCommand } from './command-types.ts';

type OptionName = 'skills' | 'priority' | 'after' | 'review' | 'key' | 'attempts' | 'timeout' | 'budget';

/** Words accepted for each option; the first spelling is the one messages use. */
const OPTION_WORDS: Readonly<Record<string, OptionName>> = {
  skills: 'skills',
  skill: 'skills',
  priority: 'priority',
  prio: 'priority',
  after: 'after',
  deps: 'after',
  depends: 'after',
  dependson: 'after',
  'depends-on': 'after',
  review: 'review',
  key: 'key',
  id: 'key',
  attempts: 'attempts',
  'max-attempts': 'attempts',
  maxattempts: 'attempts',
  tries: 'attempts',
  timeout: 'timeout',
  budget: 'budget',
};

/** The options' names as messages list them. */
export const TASK_OPTION_NAMES: readonly OptionName[] = [...new Set(Object.values(OPTION_WORDS))];

const LIST_OPTIONS: ReadonlySet<OptionName> = new Set(['skills', 'after']);

const TaskWordsSchema = z.object({
  title: titleField,
  skills: skillsField.optional(),
  priority: wholeNumberField('priority', COMMAND_LIMITS.minPriority, COMMAND_LIMITS.maxPriority).optional(),
  after: dependsOnField.optional(),
  review: reviewField.optional(),
  key: keyField.optional(),
  attempts: wholeNumberField('attempts', COMMAND_LIMITS.minAttempts, COMMAND_LIMITS.maxAttempts).optional(),
  timeout: timeoutField.optional(),
  budget: budgetField.optional(),
});

// `name=value` or `name:value`, optionally written `--name=value` (a phone may turn `--` into a dash,
// which the token view has already made a hyphen). `a==b` is not an option: its value starts with `=`.
const OPTION = /^-{0,2}([A-Za-z][A-Za-z0-9_-]*)([=:])(?!=)(.*)$/s;
// A word written like a command-line flag without a value: `--timeout`, or `-timeout` from a phone.
const BARE_FLAG = /^(-{1,2})([A-Za-z][A-Za-z0-9_-]*)$/;

interface LineWords {
  titleTokens: Token[];
  options: Partial<Record<OptionName, string>>;
  /** Where the line reader is: before the title, inside it, or past it (after an option that ended it). */
  phase: 'before' | 'title' | 'after';
  /** The newest option past the title, for the message about a stray word. */
  endedBy?: string;
}

/** Parses the `/task` arguments into a task command, or says what was wrong. */
export function parseTaskCommand(args: CommandArgs): Parsed<TaskCommand> {
  const { plain, view } = args;
  let lineEnd = lineEndAt(view, args.start);
  const words: LineWords = { titleTokens: [], options: {}, phase: 'before' };
  const first = readLine(tokenize(view, args.start, lineEnd), words);
  if (first !== undefined) return { ok: false, problem: first };
  if (words.titleTokens.length === 0) {
    const next = nextNonBlankLine(view, lineEnd);
    if (next !== undefined) {
      lineEnd = lineEndAt(view, next);
      const second = readLine(tokenize(view, next, lineEnd), words);
      if (second !== undefined) return { ok: false, problem: second };
    }
  }
  const parsed = validate(TaskWordsSchema, { title: titleOf(words.titleTokens, plain), ...words.options });
  if (!parsed.ok) return parsed;
  const w = parsed.value;
  const dependsOn = w.after ?? [];
  if (w.key !== undefined && dependsOn.includes(w.key)) {
    return { ok: false, problem: `a task cannot wait for itself: key=${w.key} is also in after=` };
  }
  const command: TaskCommand = {
    name: 'task',
    title: w.title,
    body: bodyAfter(plain, lineEnd),
    skills: w.skills ?? [],
    priority: w.priority ?? COMMAND_LIMITS.defaultPriority,
    dependsOn,
    review: w.review ?? false,
    maxAttempts: w.attempts ?? COMMAND_LIMITS.defaultAttempts,
  };
  if (w.key !== undefined) command.key = w.key;
  if (w.timeout !== undefined) command.timeoutMs = w.timeout;
  if (w.budget !== undefined) command.budget = w.budget;
  return { ok: true, value: command };
}

/** Sorts one line's words into title words and options; returns a problem message or undefined. */
function readLine(tokens: Token[], into: LineWords): string | undefined {
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i];
    if (token === undefined) continue;
    const flag = /^-{1,2}(no-)?review$/i.exec(token.text);
    if (flag && !token.quoted) {
      const problem = setOption(into, 'review', flag[1] === undefined ? 'yes' : 'no', token.text);
      if (problem !== undefined) return problem;
      continue;
    }
    const match = token.quoted ? null : OPTION.exec(token.text);
    const name = (match?.[1] ?? '').toLowerCase();
    const option = match ? OPTION_WORDS[name] : undefined;
    if (!match || option === undefined) {
      const problem = token.quoted
        ? undefined
        : notAnOption(token.text, match?.[2] === '=' ? name : undefined);
      if (problem !== undefined) return problem;
      const stray = addTitleWord(into, token);
      if (stray !== undefined) return stray;
      continue;
    }
    let value = match[3] ?? '';
    if (value === '') {
      // `Review: the docs` is a title that starts with a word ending in a colon.
      if (match[2] === ':') {
        const stray = addTitleWord(into, token);
        if (stray !== undefined) return stray;
        continue;
      }
      return `${option}= needs a value, with no space after the =`;
    }
    // `after=T-1, T-2`: a list that ends in a comma continues in the next word.
    while (LIST_OPTIONS.has(option) && value.endsWith(',') && i + 1 < tokens.length) {
      i++;
      value += tokens[i]?.text ?? '';
    }
    const problem = setOption(into, option, value, `${match[1] ?? ''}${match[2] ?? '='}${value}`);
    if (problem !== undefined) return problem;
  }
  return undefined;
}

/**
 * Says why a word that is not a known option must not become a title word: an unknown `name=`
 * option, or a flag written without `=`. Undefined for an ordinary word (including `note:` or a
 * link, since `:` ends many ordinary words).
 */
function notAnOption(text: string, unknownName: string | undefined): string | undefined {
  if (unknownName !== undefined) return unknownOption(`${unknownName}=`, unknownName, text);
  const flag = BARE_FLAG.exec(text);
  if (!flag) return undefined;
  const name = (flag[2] ?? '').toLowerCase();
  const option = OPTION_WORDS[name];
  if (option !== undefined) {
    return `write options as name=value with no spaces, like ${option}=${OPTION_EXAMPLES[option]}, not ${quoteValue(text)}`;
  }
  // One dash before an unknown word is ordinary text (`-ish`); two are meant as a flag.
  return flag[1] === '--' ? unknownOption(text, name, text) : undefined;
}

const OPTION_EXAMPLES: Readonly<Record<OptionName, string>> = {
  skills: 'web,python',
  priority: '7',
  after: 'T-1,T-2',
  review: 'yes',
  key: 'ORA-001',
  attempts: '5',
  timeout: '10m',
  budget: '$2',
};

function unknownOption(shown: string, name: string, word: string): string {
  const near = closestMatch(name, Object.keys(OPTION_WORDS));
  const hint = near === undefined ? ';' : `; did you mean ${OPTION_WORDS[near] ?? near}=?`;
  return (
    `unknown option ${shown}${hint} known: ${TASK_OPTION_NAMES.join(', ')}; ` +
    `to keep it in the title, quote it: "${word.replace(/"/g, '')}"`
  );
}

/** Adds a title word, or refuses one that would split the title around an option. */
function addTitleWord(into: LineWords, token: Token): string | undefined {
  if (into.phase === 'after') {
    return (
      `unexpected ${quoteValue(token.text)} after ${into.endedBy ?? 'the options'}: write the title in one piece, ` +
      `before or after the options, and each option's value without spaces`
    );
  }
  into.phase = 'title';
  into.titleTokens.push(token);
  return undefined;
}

function setOption(into: LineWords, option: OptionName, value: string, shown: string): string | undefined {
  if (into.options[option] !== undefined) return `${option} is given twice`;
  into.options[option] = value;
  if (into.phase === 'title') into.phase = 'after';
  if (into.phase === 'after') into.endedBy = shown;
  return undefined;
}

/** The title as typed (smart quotes and dashes kept); one fully quoted word loses its quotes. */
function titleOf(tokens: Token[], plain: string): string | undefined {
  const only = tokens.length === 1 ? tokens[0] : undefined;
  if (only?.quoted) return plain.slice(only.start + 1, only.end - 1);
  if (tokens.length === 0) return undefined;
  return tokens.map((t) => plain.slice(t.start, t.end)).join(' ');
}

function lineEndAt(view: string, from: number): number {
  const end = view.indexOf('\n', from);
  return end < 0 ? view.length : end;
}

function nextNonBlankLine(view: string, lineEnd: number): number | undefined {
  let at = lineEnd;
  while (at < view.length) {
    const start = at + 1;
    const end = lineEndAt(view, start);
    if (view.slice(start, end).trim() !== '') return start;
    at = end;
  }
  return undefined;
}

/** Lines after the title line, without leading blank lines or trailing whitespace. */
function bodyAfter(plain: string, lineEnd: number): string {
  return plain
    .slice(lineEnd + 1)
    .replace(/^(?:[ \t]*\n)+/, '')
    .trimEnd();
}
