/**
 * The chat command grammar: decides whether a message is a command and reads it into a `Command`.
 * Pure and total: any string gives a ParseResult, never an exception.
 *
 * What counts as a command: after leading whitespace, `/` or `!`, then a word of ASCII letters,
 * digits and `_` starting with a letter (at most 32), optionally `@botname`, then a space, a line
 * break, or the end (trailing `?.!,:;` are forgiven). So `/`, `/ 123`, `/usr/bin`, `//` and `/😀`
 * are ordinary chat ('none'). An unknown word after `/` is an error; after `!` it is 'none', since
 * `!` is everyday punctuation and other Discord bots' prefix. A `@name` right after the word, with
 * either prefix and whatever follows it, is reported as `addressedTo` (the message is for that bot).
 */
import { argTokens, textAfter, validate, type CommandArgs, type Parsed } from './command-args.ts';
import { commandForWord } from './command-catalog.ts';
import {
  agentIdField,
  quoteValue,
  requiredTextField,
  taskRefField,
  wholeNumberField,
} from './command-fields.ts';
import { toPlainText, toTokenView, type Token } from './command-text.ts';
import {
  COMMAND_LIMITS,
  type Command,
  type CommandName,
  type CommandOf,
  type ParseResult,
} from './command-types.ts';
import { commandList, usageFor } from './command-usage.ts';
import { parseScheduleCommand } from './schedule-command-parser.ts';
import { parseTaskCommand } from './task-command-parser.ts';

const HEAD = /^\s*([/!])([A-Za-z][A-Za-z0-9_]{0,31})(?:@([A-Za-z0-9_]{1,64}))?[?.!,:;]*(?=\s|$)/;
// Enough of an over-long message to find its command word without cleaning all of it.
const HEAD_SCAN_CHARS = 400;

/** Reads one chat message. Ordinary chat gives `{ kind: 'none' }`. */
export function parseCommand(text: string): ParseResult {
  try {
    return parseOrThrow(text);
  } catch {
    // Not expected; a bug here must cost one reply, not the orchestrator.
    return { kind: 'error', message: 'this command could not be read', usage: commandList() };
  }
}

function parseOrThrow(text: string): ParseResult {
  if (typeof text !== 'string') return { kind: 'none' };
  const tooLong = text.length > COMMAND_LIMITS.maxInputChars;
  const plain = toPlainText(tooLong ? text.slice(0, HEAD_SCAN_CHARS) : text);
  const view = toTokenView(plain);
  const head = HEAD.exec(view);
  if (!head) return { kind: 'none' };
  const [matched, prefix = '/', word = '', mention] = head;
  const addressed = mention === undefined ? {} : { addressedTo: mention };
  const name = commandForWord(word);
  if (name === undefined) {
    if (prefix === '!') return { kind: 'none' };
    return { kind: 'error', message: `unknown command /${word}`, usage: commandList(), ...addressed };
  }
  const fail = (message: string): ParseResult => ({
    kind: 'error',
    message,
    usage: usageFor(name),
    command: name,
    ...addressed,
  });
  if (tooLong) {
    return fail(
      `the message is ${text.length} characters; a command may be at most ${COMMAND_LIMITS.maxInputChars} (attach long text as a file)`,
    );
  }
  const parsed = PARSERS[name]({ plain, view, start: matched.length });
  return parsed.ok ? { kind: 'ok', command: parsed.value, ...addressed } : fail(parsed.problem);
}

type Parser<N extends CommandName> = (args: CommandArgs) => Parsed<CommandOf<N>>;

const PARSERS: { [N in CommandName]: Parser<N> } = {
  task: parseTaskCommand,
  cancel: (args) => {
    const [id] = argTokens(args);
    const reason = textAfter(args, id);
    return build(validate(taskRefField, id?.text), (taskId) =>
      reason === undefined ? { name: 'cancel', taskId } : { name: 'cancel', taskId, reason },
    );
  },
  retry: (args) => taskOnly(args, 'retry'),
  approve: (args) => taskOnly(args, 'approve'),
  assign: (args) => {
    const [id, ...rest] = argTokens(args);
    const [agent, extra] = rest[0]?.text.toLowerCase() === 'to' ? rest.slice(1) : rest;
    if (extra !== undefined) return unexpected('assign', extra);
    const parsed = validate(taskRefField, id?.text);
    if (!parsed.ok) return parsed;
    return build(validate(agentIdField, agent?.text), (agentId) => ({
      name: 'assign',
      taskId: parsed.value,
      agentId,
    }));
  },
  priority: (args) => {
    const [id, ...rest] = argTokens(args);
    const [value, extra] = rest[0]?.text.toLowerCase() === 'to' ? rest.slice(1) : rest;
    if (extra !== undefined) return unexpected('priority', extra);
    const parsed = validate(taskRefField, id?.text);
    if (!parsed.ok) return parsed;
    const field = wholeNumberField('priority', COMMAND_LIMITS.minPriority, COMMAND_LIMITS.maxPriority);
    return build(validate(field, value?.text), (priority) => ({
      name: 'priority',
      taskId: parsed.value,
      priority,
    }));
  },
  pause: (args) => agentOrSwarm(args, 'pause'),
  resume: (args) => agentOrSwarm(args, 'resume'),
  reject: (args) =>
    taskAndText(args, 'reject needs feedback saying what to change', (taskId, feedback) => ({
      name: 'reject',
      taskId,
      feedback,
    })),
  note: (args) =>
    taskAndText(args, 'missing the note text', (taskId, text) => ({ name: 'note', taskId, text })),
  answer: (args) =>
    taskAndText(args, 'missing the answer text', (taskId, text) => ({ name: 'answer', taskId, text })),
  schedule: parseScheduleCommand,
  status: (args) => {
    const [id, extra] = argTokens(args);
    if (extra !== undefined) return unexpected('status', extra);
    if (id === undefined) return { ok: true, value: { name: 'status' } };
    return build(validate(taskRefField, id.text), (taskId) => ({ name: 'status', taskId }));
  },
  agents: (args) => {
    const [extra] = argTokens(args);
    return extra === undefined ? { ok: true, value: { name: 'agents' } } : unexpected('agents', extra);
  },
  help: (args) => {
    const [topic, extra] = argTokens(args);
    if (extra !== undefined) return unexpected('help', extra);
    if (topic === undefined) return { ok: true, value: { name: 'help' } };
    const name = commandForWord(topic.text.replace(/^[/!]/, '').replace(/@.*$/, ''));
    if (name === undefined) return { ok: false, problem: `there is no command ${quoteValue(topic.text)}` };
    return { ok: true, value: { name: 'help', topic: name } };
  },
};

function build<T, C extends Command>(parsed: Parsed<T>, make: (value: T) => C): Parsed<C> {
  return parsed.ok ? { ok: true, value: make(parsed.value) } : parsed;
}

function unexpected(name: CommandName, token: Token): Parsed<never> {
  return { ok: false, problem: `unexpected ${quoteValue(token.text)}: /${name} takes nothing more` };
}

function taskOnly<N extends 'retry' | 'approve'>(args: CommandArgs, name: N): Parsed<CommandOf<N>> {
  const [id, extra] = argTokens(args);
  if (extra !== undefined) return unexpected(name, extra);
  return build(validate(taskRefField, id?.text), (taskId) => ({ name, taskId }) as CommandOf<N>);
}

// Words that mean "everyone" rather than an agent called that.
const WHOLE_SWARM = new Set(['all', '*', 'swarm', 'everyone']);

function agentOrSwarm<N extends 'pause' | 'resume'>(args: CommandArgs, name: N): Parsed<CommandOf<N>> {
  const [agent, extra] = argTokens(args);
  if (extra !== undefined) return unexpected(name, extra);
  if (agent === undefined || WHOLE_SWARM.has(agent.text.toLowerCase())) {
    return { ok: true, value: { name } as CommandOf<N> };
  }
  return build(validate(agentIdField, agent.text), (agentId) => ({ name, agentId }) as CommandOf<N>);
}

function taskAndText<C extends Command>(
  args: CommandArgs,
  missing: string,
  make: (taskId: string, text: string) => C,
): Parsed<C> {
  const [id] = argTokens(args);
  const taskId = validate(taskRefField, id?.text);
  if (!taskId.ok) return taskId;
  const text = validate(requiredTextField(missing), textAfter(args, id));
  return text.ok ? { ok: true, value: make(taskId.value, text.value) } : text;
}
