import { parseArgs } from 'node:util';
import { renderTaskLine, renderTaskMessage } from '../chat/render-task.ts';
import { parseCommand } from '../commands/command-grammar.ts';
import { toNewTask } from '../commands/to-new-task.ts';
import { SwarmError } from '../core/errors.ts';
import { TASK_STATUSES, type TaskStatus } from '../core/types.ts';
import { cliContext, EXIT, withLedger, type CliIo } from './cli-context.ts';
import { requireLedgerFile } from './cmd-inspect.ts';

export const TASK_USAGE = `usage:
  chat-swarm task add <title> [--body TEXT] [--skills a,b] [--priority 0-9] [--after T-1,T-2]
                      [--review] [--key KEY] [--attempts N] [--timeout 10m] [--json]
  chat-swarm task list [--status queued,claimed,...] [--json]
  chat-swarm task show <id> [--json]
  chat-swarm task cancel <id> [--reason TEXT]
  chat-swarm task retry <id>
(all take --db PATH and --config FILE)`;

const OPTIONS = {
  db: { type: 'string' },
  config: { type: 'string' },
  json: { type: 'boolean' },
  body: { type: 'string' },
  skills: { type: 'string' },
  priority: { type: 'string' },
  after: { type: 'string' },
  review: { type: 'boolean' },
  key: { type: 'string' },
  attempts: { type: 'string' },
  timeout: { type: 'string' },
  status: { type: 'string' },
  reason: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** Builds the chat command for `task add` so the CLI and the chat share one grammar and its checks. */
function toChatCommand(title: string, v: Record<string, string | boolean | undefined>): string {
  const opts: string[] = [];
  const add = (name: string, value: string | boolean | undefined): void => {
    if (value !== undefined && value !== false) opts.push(`${name}=${value === true ? 'yes' : value}`);
  };
  add('skills', v.skills);
  add('priority', v.priority);
  add('after', v.after);
  add('review', v.review);
  add('key', v.key);
  add('attempts', v.attempts);
  add('timeout', v.timeout);
  const quoted = `"${title.replace(/"/g, "'")}"`;
  return `/task ${quoted} ${opts.join(' ')}${typeof v.body === 'string' && v.body ? `\n${v.body}` : ''}`;
}

/** `chat-swarm task …`: lets another program enqueue and inspect work without any socket. */
export function runTask(argv: string[], io: CliIo): number {
  const { values, positionals } = parseArgs({
    args: argv,
    options: OPTIONS,
    allowPositionals: true,
    strict: true,
  });
  const [sub, ...rest] = positionals;
  if (values.help || !sub) {
    io.out(TASK_USAGE);
    return values.help ? EXIT.ok : EXIT.usage;
  }
  const ctx = cliContext(values, io);
  if (sub !== 'add' && !requireLedgerFile(ctx.dbPath, io)) return EXIT.problem;
  const actor = `cli [${io.env.USER ?? 'unknown'}]`;
  return withLedger(ctx, (ledger) => {
    switch (sub) {
      case 'add': {
        const title = rest.join(' ').trim();
        const parsed = parseCommand(toChatCommand(title, values));
        if (parsed.kind !== 'ok' || parsed.command.name !== 'task') {
          io.err(parsed.kind === 'error' ? `${parsed.message}\n${TASK_USAGE}` : TASK_USAGE);
          return EXIT.usage;
        }
        const res = ledger.createTask(toNewTask(parsed.command), actor);
        if (values.json) io.out(JSON.stringify({ created: res.created, task: res.task }));
        else io.out(`${res.created ? 'created' : 'exists'} ${res.task.id}`);
        return EXIT.ok;
      }
      case 'list': {
        const wanted =
          values.status
            ?.split(',')
            .map((s) => s.trim())
            .filter(Boolean) ?? [];
        const bad = wanted.filter((s) => !(TASK_STATUSES as readonly string[]).includes(s));
        if (bad.length) {
          io.err(`unknown status ${bad.join(', ')}; use any of ${TASK_STATUSES.join(', ')}`);
          return EXIT.usage;
        }
        const tasks = ledger.listTasks({ status: wanted as TaskStatus[] });
        io.out(values.json ? JSON.stringify(tasks) : tasks.map(renderTaskLine).join('\n') || 'no tasks');
        return EXIT.ok;
      }
      case 'show': {
        const task = rest[0] ? ledger.getTask(rest[0]) : undefined;
        if (!task) {
          io.err(rest[0] ? `no task ${rest[0]}` : TASK_USAGE);
          return rest[0] ? EXIT.problem : EXIT.usage;
        }
        if (values.json) io.out(JSON.stringify({ task, events: ledger.events({ taskId: task.id }) }));
        else {
          const r = renderTaskMessage(task);
          io.out(`${r.heading}\n${r.text}${task.result ? `\n--- result ---\n${task.result}` : ''}`);
        }
        return EXIT.ok;
      }
      case 'cancel':
      case 'retry': {
        const id = rest[0];
        if (!id) {
          io.err(TASK_USAGE);
          return EXIT.usage;
        }
        try {
          if (sub === 'cancel') ledger.cancel(id, actor, values.reason);
          else ledger.retry(id, actor);
        } catch (err) {
          if (err instanceof SwarmError) {
            io.err(err.message);
            return EXIT.problem;
          }
          throw err;
        }
        io.out(`${sub === 'cancel' ? 'cancelled' : 'queued again'} ${id}`);
        return EXIT.ok;
      }
      default:
        io.err(`unknown task command '${sub}'\n${TASK_USAGE}`);
        return EXIT.usage;
    }
  });
}
