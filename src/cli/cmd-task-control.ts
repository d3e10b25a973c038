import { validate } from '../commands/command-args.ts';
import { requiredTextField, taskRefField } from '../commands/command-fields.ts';
import { parseCommand } from '../commands/command-grammar.ts';
import type { Command } from '../commands/command-types.ts';
import type { Ledger } from '../ledger/ledger.ts';
import { cliContext, EXIT, withLedger, type CliIo } from './cli-context.ts';
import { CliError } from './cli-error.ts';
import { textFromWords } from './cli-text.ts';
import { parseCliArgs } from './parse-cli-args.ts';

/** The chat's controls that the command line offers too, under `task` (pause and resume on their own). */
export type ControlName =
  'answer' | 'approve' | 'reject' | 'note' | 'assign' | 'priority' | 'pause' | 'resume';

const TEXT_COMMANDS = { answer: 'the answer', reject: 'the feedback', note: 'the note' } as const;
type TextCommand = keyof typeof TEXT_COMMANDS;
const isTextCommand = (name: ControlName): name is TextCommand => name in TEXT_COMMANDS;

/** One usage line per control, as `--help` and usage errors show it. */
export const CONTROL_USAGE: Readonly<Record<ControlName, string>> = {
  answer: 'chat-swarm task answer <task> <text | ->',
  approve: 'chat-swarm task approve <task>',
  reject: 'chat-swarm task reject <task> <feedback | ->',
  note: 'chat-swarm task note <task> <text | ->',
  assign: 'chat-swarm task assign <task> <agent>',
  priority: 'chat-swarm task priority <task> <0-9>',
  pause: 'chat-swarm pause [agent]',
  resume: 'chat-swarm resume [agent]',
};

const OPTIONS = { db: { type: 'string' }, config: { type: 'string' }, json: { type: 'boolean' } } as const;

const usageError = (name: ControlName, problem: string): CliError =>
  new CliError(EXIT.usage, `${problem}\nusage: ${CONTROL_USAGE[name]}`);

/**
 * Reads a control from the command line into the chat's Command. Text (answer, feedback, note) is
 * taken literally: several words joined with spaces, `-` for standard input. Everything else goes
 * through the chat grammar itself, so the checks and messages are the chat's.
 */
export async function toControlCommand(name: ControlName, words: string[], io: CliIo): Promise<Command> {
  if (isTextCommand(name)) {
    const [taskWord, ...rest] = words;
    const taskId = validate(taskRefField, taskWord);
    if (!taskId.ok) throw usageError(name, taskId.problem);
    const raw = await textFromWords(rest, io, TEXT_COMMANDS[name]);
    if (raw === undefined || raw.trim() === '') {
      // The grammar's own message for the missing text.
      const parsed = parseCommand(`/${name} ${taskId.value}`);
      throw usageError(name, parsed.kind === 'error' ? parsed.message : `missing ${TEXT_COMMANDS[name]}`);
    }
    const text = validate(requiredTextField(`missing ${TEXT_COMMANDS[name]}`), raw);
    if (!text.ok) throw usageError(name, text.problem);
    if (name === 'reject') return { name, taskId: taskId.value, feedback: text.value };
    return { name, taskId: taskId.value, text: text.value };
  }
  const parsed = parseCommand(`/${name} ${words.join(' ')}`.trimEnd());
  if (parsed.kind === 'ok' && parsed.command.name === name) return parsed.command;
  throw usageError(name, parsed.kind === 'error' ? parsed.message : `cannot read ${words.join(' ')}`);
}

/**
 * Applies a control through the same ledger calls as the chat's command handler; returns the line to
 * print. A request the ledger refuses (unknown task, wrong state) throws its LedgerError (exit 1).
 */
export function applyControl(ledger: Ledger, c: Command, actor: string): string {
  switch (c.name) {
    case 'answer':
      ledger.answer(c.taskId, c.text, actor);
      return `answered ${c.taskId}`;
    case 'approve':
      ledger.approve(c.taskId, actor);
      return `approved ${c.taskId}`;
    case 'reject':
      ledger.reject(c.taskId, c.feedback, actor);
      return `rejected ${c.taskId}; queued again with the feedback`;
    case 'note':
      ledger.addNote(c.taskId, c.text, actor);
      return `noted on ${c.taskId}`;
    case 'assign':
      ledger.assign(c.taskId, c.agentId, actor);
      return `assigned ${c.taskId} to ${c.agentId}`;
    case 'priority':
      ledger.setPriority(c.taskId, c.priority, actor);
      return `priority of ${c.taskId} is ${c.priority}`;
    case 'pause':
      ledger.pause(actor, c.agentId);
      return c.agentId ? `paused agent ${c.agentId}` : 'paused the swarm: no new claims until resume';
    case 'resume':
      ledger.resume(actor, c.agentId);
      return c.agentId ? `resumed agent ${c.agentId}` : 'resumed the swarm';
    default:
      throw new CliError(EXIT.usage, `/${c.name} is not a control`);
  }
}

/** The task a control names, if any. */
const taskOf = (c: Command): string | undefined => ('taskId' in c ? c.taskId : undefined);

/** How the caller is named in events: `cli [$USER]`. */
export const cliActor = (io: CliIo): string => `cli [${io.env.USER ?? 'unknown'}]`;

/** `chat-swarm task answer|approve|reject|note|assign|priority …` and `chat-swarm pause|resume [agent]`. */
export async function runControl(name: ControlName, argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCliArgs({
    args: argv,
    options: OPTIONS,
    allowPositionals: true,
    strict: true,
  });
  const command = await toControlCommand(name, positionals, io);
  const ctx = cliContext(values, io);
  return withLedger(ctx, 'write', (ledger) => {
    const line = applyControl(ledger, command, cliActor(io));
    const taskId = taskOf(command);
    if (values.json) {
      const task = taskId ? ledger.getTask(taskId) : undefined;
      io.out(
        JSON.stringify({
          db: ctx.dbPath,
          applied: command,
          ...(task ? { task } : {}),
        }),
      );
    } else io.out(line);
    return EXIT.ok;
  });
}
