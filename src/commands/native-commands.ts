/**
 * The chat commands as a platform's own command picker shows them (Discord's application commands):
 * each command's options with their types, in the platform-neutral form an adapter maps to its API.
 * The options are the typed grammar's words, validated by the same fields (`interaction-command.ts`).
 */
import { COMMANDS } from './command-catalog.ts';
import { COMMAND_LIMITS, COMMAND_NAMES, type CommandName } from './command-types.ts';

/** Where an option's suggestions come from. */
export type SuggestionSource = 'task' | 'agent' | 'command';

export interface NativeOption {
  /** Lower case, at most 32 characters. */
  name: string;
  /** At most 100 characters. */
  description: string;
  type: 'string' | 'integer' | 'boolean';
  required: boolean;
  /** Offered as you type. */
  suggest?: SuggestionSource;
  min?: number;
  max?: number;
  maxLength?: number;
}

export interface NativeCommand {
  name: CommandName;
  /** At most 100 characters. */
  description: string;
  /** Required options first, as the platforms require. */
  options: NativeOption[];
}

const task = (description = 'The task, like T-12 or ORA-001'): NativeOption => ({
  name: 'task',
  description,
  type: 'string',
  required: true,
  suggest: 'task',
  maxLength: 80,
});
const text = (name: string, description: string, required = true): NativeOption => ({
  name,
  description,
  type: 'string',
  required,
  maxLength: 4_000,
});
const agent = (required: boolean, description: string): NativeOption => ({
  name: 'agent',
  description,
  type: 'string',
  required,
  suggest: 'agent',
  maxLength: 64,
});
const priority = (required: boolean): NativeOption => ({
  name: 'priority',
  description: `${COMMAND_LIMITS.minPriority}-${COMMAND_LIMITS.maxPriority}, higher runs first`,
  type: 'integer',
  required,
  min: COMMAND_LIMITS.minPriority,
  max: COMMAND_LIMITS.maxPriority,
});

/** Commands offered in Discord's `/` picker: all but `/schedule`, whose sub-commands stay typed. */
type NativeName = Exclude<CommandName, 'schedule'>;

const OPTIONS: { readonly [N in NativeName]: NativeOption[] } = {
  task: [
    { ...text('title', 'What to do, one line'), maxLength: COMMAND_LIMITS.maxTitleChars },
    text('body', 'Details for the agent', false),
    {
      name: 'skills',
      description: 'Skills an agent needs, like web,python',
      type: 'string',
      required: false,
    },
    priority(false),
    { name: 'after', description: 'Wait for these tasks, like T-1,T-2', type: 'string', required: false },
    { name: 'review', description: 'Hold the result for /approve', type: 'boolean', required: false },
    {
      name: 'key',
      description: 'Your own task id, like ORA-001',
      type: 'string',
      required: false,
      maxLength: 64,
    },
    {
      name: 'attempts',
      description: `Tries before failing (default ${COMMAND_LIMITS.defaultAttempts})`,
      type: 'integer',
      required: false,
      min: COMMAND_LIMITS.minAttempts,
      max: COMMAND_LIMITS.maxAttempts,
    },
    {
      name: 'timeout',
      description: 'Per attempt: 90s, 10m, 2h',
      type: 'string',
      required: false,
      maxLength: 20,
    },
  ],
  cancel: [task(), text('reason', 'Why (shown in the channel)', false)],
  retry: [task()],
  assign: [task(), agent(true, 'The only agent that may claim it')],
  priority: [task(), priority(true)],
  pause: [agent(false, 'One agent; leave empty for the whole swarm')],
  resume: [agent(false, 'One agent; leave empty for the whole swarm')],
  approve: [task()],
  reject: [task(), text('feedback', 'What to change; the next attempt sees it')],
  note: [task(), text('text', 'The note the next attempt sees')],
  answer: [task(), text('text', 'Your answer')],
  status: [{ ...task('One task in detail; leave empty for the board'), required: false }],
  agents: [],
  help: [
    {
      name: 'command',
      description: 'How to write one command',
      type: 'string',
      required: false,
      suggest: 'command',
    },
  ],
};

/** Every command with its options, in help order. */
export const NATIVE_COMMANDS: readonly NativeCommand[] = COMMAND_NAMES.filter(
  (name): name is NativeName => name !== 'schedule',
).map((name) => ({
  name,
  description: COMMANDS[name].description.slice(0, 100),
  options: OPTIONS[name],
}));
