/**
 * Plain-text help built from the command catalog: the usage shown under an error reply, the
 * command list, and the full `/help` text (kept under Discord's 2000-character message limit).
 */
import { COMMANDS } from './command-catalog.ts';
import { COMMAND_LIMITS, COMMAND_NAMES, type CommandName } from './command-types.ts';

/** The usage line of a command followed by an example, for error replies. */
export function usageFor(name: CommandName): string {
  const info = COMMANDS[name];
  return `${info.usage}\nexample: ${info.example}`;
}

/** One line naming every command, for replies to an unknown command. */
export function commandList(): string {
  return `commands: ${COMMAND_NAMES.map((name) => `/${name}`).join(' ')} (/help <command> for details)`;
}

const TASK_OPTIONS = [
  'Options go before or after the title (the title stays in one piece), as name=value or name:value:',
  '  skills=a,b  skills an agent needs',
  `  priority=0-9  higher runs first (default ${COMMAND_LIMITS.defaultPriority})`,
  '  after=T-1,T-2  wait for these tasks to be done',
  '  review=yes|no  hold the result for /approve (default no)',
  '  key=ORA-001  your own task id; sending it again returns the same task',
  `  attempts=1-20  tries before failing (default ${COMMAND_LIMITS.defaultAttempts})`,
  '  timeout=10m  per attempt: 90s, 10m, 2h or seconds, up to 24h',
  'Unknown options are refused. A title with "=" in a word: quote it, or that word:',
  '  /task "ratio=2 breaks the chart" priority=3   or   /task Set "x=5" in config',
];

const SCHEDULE_OPTIONS = [
  '/schedule list — every schedule: when it fires, next run, last run and its outcome',
  '/schedule add <id> <when> [policies] <title> [task options], body on the next lines:',
  '  cron="0 2 * * *"  5 fields (or 6, seconds first), in tz=; or every=15m (real time)',
  "  tz=Europe/Berlin  IANA time zone (default: the machine's)",
  '  missed=latest|skip|all:N  slots missed while down: run the latest once (default), none, or up to N',
  '  overlap=skip|allow  skip a slot while the previous task is open (default), or run anyway',
  '  task options as for /task: skills= priority= review= attempts= timeout=',
  '/schedule pause|resume|remove|run <id> — run makes a task now; config schedules cannot be removed here',
];

/**
 * The `/help` reply. Without a topic: every command with a one-line description; with one: that
 * command's usage, description, aliases and example.
 */
export function helpText(topic?: CommandName): string {
  if (topic !== undefined) return topicHelp(topic);
  const lines = ['chat-swarm commands (start with / or !; * = admins only):'];
  for (const name of COMMAND_NAMES) {
    const info = COMMANDS[name];
    const mark = info.adminOnly ? '* ' : '';
    lines.push(`${mark}${shortUsage(name)} — ${info.description}`);
  }
  lines.push('Tasks are named T-12, 12, or by their key (ORA-001). /help task shows the task options.');
  return lines.join('\n');
}

function shortUsage(name: CommandName): string {
  if (name === 'task') return '/task <title> [options]';
  if (name === 'schedule') return '/schedule list|add|pause|resume|remove|run';
  return COMMANDS[name].usage;
}

function topicHelp(name: CommandName): string {
  const info = COMMANDS[name];
  const lines = [info.usage, info.description];
  if (name === 'task') lines.push(...TASK_OPTIONS);
  if (name === 'schedule') lines.push(...SCHEDULE_OPTIONS);
  if (info.aliases.length > 0) lines.push(`Also: ${info.aliases.map((a) => `/${a}`).join(' ')}`);
  lines.push(`Example:\n${info.example}`);
  if (info.adminOnly) lines.push('Admins only.');
  return lines.join('\n');
}
