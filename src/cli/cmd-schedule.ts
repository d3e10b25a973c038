import { parseCommand } from '../commands/command-grammar.ts';
import { applyScheduleCommand } from '../commands/schedule-command-handler.ts';
import { SCHEDULE_ID_PATTERN, SCHEDULE_ID_RULE } from '../core/schedule-key.ts';
import { renderScheduleList, viewSchedules } from '../schedules/schedule-view.ts';
import { parseCliArgs } from './parse-cli-args.ts';
import { cliContext, EXIT, withLedger, type CliIo } from './cli-context.ts';

export const SCHEDULE_USAGE = `usage:
  chat-swarm schedule list [--all] [--json]
  chat-swarm schedule add <id> <title> (--cron "0 2 * * *" | --every 15m) [--tz Europe/Berlin]
                          [--missed latest|skip|all[:N]] [--overlap skip|allow]
                          [--body TEXT] [--skills a,b] [--priority 0-9] [--review] [--attempts N] [--timeout 10m]
  chat-swarm schedule pause|resume|remove|run <id>
(all take --db PATH and --config FILE; schedules in the config file are changed there, not here)`;

const OPTIONS = {
  db: { type: 'string' },
  config: { type: 'string' },
  json: { type: 'boolean' },
  all: { type: 'boolean' },
  cron: { type: 'string' },
  every: { type: 'string' },
  tz: { type: 'string' },
  missed: { type: 'string' },
  overlap: { type: 'string' },
  body: { type: 'string' },
  skills: { type: 'string' },
  priority: { type: 'string' },
  review: { type: 'boolean' },
  attempts: { type: 'string' },
  timeout: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

type Values = Record<string, string | boolean | undefined>;

/** Writes `schedule add` as the chat command, so the CLI and the chat share one grammar and its checks. */
function toChatCommand(id: string, title: string, v: Values): string {
  const opts: string[] = [];
  const add = (name: string, value: string | boolean | undefined): void => {
    if (value === undefined || value === false) return;
    const text = value === true ? 'yes' : value;
    opts.push(/\s/.test(text) ? `${name}="${text.replace(/"/g, "'")}"` : `${name}=${text}`);
  };
  add('cron', v.cron);
  add('every', v.every);
  add('tz', v.tz);
  add('missed', v.missed);
  add('overlap', v.overlap);
  const quoted = `"${title.replace(/"/g, "'")}"`;
  const task: string[] = [];
  for (const name of ['skills', 'priority', 'review', 'attempts', 'timeout']) {
    const value = v[name];
    if (value !== undefined && value !== false) task.push(`${name}=${value === true ? 'yes' : value}`);
  }
  const body = typeof v.body === 'string' && v.body ? `\n${v.body}` : '';
  return `/schedule add ${id} ${opts.join(' ')} ${quoted} ${task.join(' ')}${body}`;
}

/** `chat-swarm schedule …`: manage recurring tasks without a chat socket (the running orchestrator picks changes up). */
export function runSchedule(argv: string[], io: CliIo): number {
  const { values, positionals } = parseCliArgs({
    args: argv,
    options: OPTIONS,
    allowPositionals: true,
    strict: true,
  });
  const [sub, ...rest] = positionals;
  if (values.help || !sub) {
    io.out(SCHEDULE_USAGE);
    return values.help ? EXIT.ok : EXIT.usage;
  }
  const ctx = cliContext(values, io);
  const actor = `cli [${io.env.USER ?? 'unknown'}]`;
  let text: string;
  if (sub === 'add') {
    const [id = '', ...titleWords] = rest;
    // The id is one word of the chat command built below; a space would move the title into it.
    if (!SCHEDULE_ID_PATTERN.test(id.toLowerCase())) {
      io.err(`${SCHEDULE_ID_RULE}, got '${id}'\n${SCHEDULE_USAGE}`);
      return EXIT.usage;
    }
    text = toChatCommand(id, titleWords.join(' ').trim(), values);
  } else text = `/schedule ${[sub, ...rest].join(' ')}`;
  const parsed = parseCommand(text);
  if (parsed.kind !== 'ok' || parsed.command.name !== 'schedule') {
    io.err(parsed.kind === 'error' ? `${parsed.message}\n${SCHEDULE_USAGE}` : SCHEDULE_USAGE);
    return EXIT.usage;
  }
  const command = parsed.command;
  const use = command.action === 'add' ? 'create' : command.action === 'list' ? 'read' : 'write';
  return withLedger(ctx, use, (ledger) => {
    if (command.action === 'list') {
      const views = viewSchedules(ledger, ledger.core.now(), values.all === true);
      io.out(values.json ? JSON.stringify(views) : renderScheduleList(views));
      return EXIT.ok;
    }
    const reply = applyScheduleCommand(ledger, command, actor, 'cli');
    const id = command.scheduleId ?? '';
    const done: Record<string, string> = {
      add: `added ${id}`,
      pause: `paused ${id}`,
      resume: `resumed ${id}`,
      remove: `removed ${id}`,
      run: `ran ${id}`,
    };
    io.out(reply ?? done[command.action] ?? 'done');
    if (command.action === 'add' || command.action === 'run') {
      const view = viewSchedules(ledger, ledger.core.now()).find((v) => v.id === id);
      if (view) io.out(renderScheduleList([view]));
    }
    return EXIT.ok;
  });
}
