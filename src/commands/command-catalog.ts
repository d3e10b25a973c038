/**
 * What each command is for, how it is written and who may use it: the one table that help text,
 * error replies and permission checks all read.
 */
import { COMMAND_NAMES, type Command, type CommandName } from './command-types.ts';

export interface CommandInfo {
  name: CommandName;
  /** Other words that run the same command (`/new` runs `/task`). */
  aliases: readonly string[];
  /** The right form, one line, with the `/` prefix. */
  usage: string;
  /** One line: what it does. */
  description: string;
  /** A complete, valid example (may span lines for `/task`). */
  example: string;
  /** Changes swarm state, so only admins may run it. */
  adminOnly: boolean;
}

const TASK_USAGE =
  '/task <title> [skills=a,b] [priority=0-9] [after=T-1,T-2] [review=yes|no] [key=ORA-001] [attempts=1-20] [timeout=10m] [budget=$2]';

/** Every command's metadata, keyed by name, in help order. */
export const COMMANDS: { readonly [N in CommandName]: CommandInfo & { name: N } } = {
  task: {
    name: 'task',
    aliases: ['create', 'new'],
    usage: TASK_USAGE,
    description: 'Create a task; lines after the first are its body.',
    example:
      '/task Fix the login page skills=web priority=7\nUsers on Safari get a blank page after signing in.',
    adminOnly: true,
  },
  cancel: {
    name: 'cancel',
    aliases: [],
    usage: '/cancel <task> [reason]',
    description: 'Cancel a task that has not finished; a running worker is stopped.',
    example: '/cancel T-3 duplicate of T-2',
    adminOnly: true,
  },
  retry: {
    name: 'retry',
    aliases: [],
    usage: '/retry <task>',
    description: 'Queue a failed or cancelled task again.',
    example: '/retry T-3',
    adminOnly: true,
  },
  assign: {
    name: 'assign',
    aliases: [],
    usage: '/assign <task> <agent>',
    description: 'Let only this agent claim the task.',
    example: '/assign T-3 designer-001',
    adminOnly: true,
  },
  priority: {
    name: 'priority',
    aliases: [],
    usage: '/priority <task> <0-9>',
    description: 'Change a task priority; higher runs first.',
    example: '/priority T-3 8',
    adminOnly: true,
  },
  pause: {
    name: 'pause',
    aliases: [],
    usage: '/pause [agent]',
    description: 'Stop an agent, or with no agent the whole swarm, from claiming new tasks.',
    example: '/pause designer-001',
    adminOnly: true,
  },
  resume: {
    name: 'resume',
    aliases: [],
    usage: '/resume [agent]',
    description: 'Let a paused agent, or with no agent the whole swarm, claim tasks again.',
    example: '/resume',
    adminOnly: true,
  },
  approve: {
    name: 'approve',
    aliases: [],
    usage: '/approve <task>',
    description: 'Accept a result that is waiting for review.',
    example: '/approve T-3',
    adminOnly: true,
  },
  reject: {
    name: 'reject',
    aliases: [],
    usage: '/reject <task> <feedback>',
    description: 'Send a reviewed result back to the queue with feedback for the next attempt.',
    example: '/reject T-3 the tests for Safari are missing',
    adminOnly: true,
  },
  note: {
    name: 'note',
    aliases: [],
    usage: '/note <task> <text>',
    description: 'Add a note that the next attempt of the task will see.',
    example: '/note T-3 use the staging database',
    adminOnly: true,
  },
  answer: {
    name: 'answer',
    aliases: [],
    usage: '/answer <task> <text>',
    description: "Answer a blocked task's question (replying to the question works too).",
    example: '/answer T-3 yes, keep the old API',
    adminOnly: true,
  },
  schedule: {
    name: 'schedule',
    aliases: ['schedules', 'cron'],
    usage:
      '/schedule list | add <id> cron="0 2 * * *"|every=15m [tz=Europe/Berlin] [missed=latest|skip|all:N] [overlap=skip|allow] <title> [task options] | pause|resume|remove|run <id>',
    description: 'Recurring tasks: one task per slot; list is open to everyone.',
    example:
      '/schedule add nightly-report cron="0 2 * * *" tz=Europe/Berlin Write the nightly report skills=docs',
    adminOnly: true,
  },
  status: {
    name: 'status',
    aliases: [],
    usage: '/status [task]',
    description: 'Show the board and today’s cost, or one task in detail.',
    example: '/status T-3',
    adminOnly: false,
  },
  agents: {
    name: 'agents',
    aliases: [],
    usage: '/agents',
    description: 'List the agents, their skills and what they are doing.',
    example: '/agents',
    adminOnly: false,
  },
  help: {
    name: 'help',
    // Telegram clients send /start when someone opens a chat with the bot.
    aliases: ['start'],
    usage: '/help [command]',
    description: 'Show the commands, or how to write one of them.',
    example: '/help task',
    adminOnly: false,
  },
};

const byWord = new Map<string, CommandName>();
for (const name of COMMAND_NAMES) {
  byWord.set(name, name);
  for (const alias of COMMANDS[name].aliases) byWord.set(alias, name);
}

/** The command a typed word (any case, no prefix) names, or undefined. */
export function commandForWord(word: string): CommandName | undefined {
  return byWord.get(word.toLowerCase());
}

/** Whether running this command needs an admin: every state change; `/schedule list` only reads. */
export function needsAdmin(command: Command): boolean {
  if (command.name === 'schedule' && command.action === 'list') return false;
  return COMMANDS[command.name].adminOnly;
}
