import { renderTaskLine, renderTaskMessage } from '../chat/render-task.ts';
import { TASK_STATUSES, type TaskStatus } from '../core/types.ts';
import { cliContext, EXIT, withLedger, withLedgerAsync, type CliIo } from './cli-context.ts';
import { CliError } from './cli-error.ts';
import { runTaskAdd, TASK_ADD_USAGE, durationFlag } from './cmd-task-add.ts';
import { runTaskArtifacts, TASK_ARTIFACTS_USAGE } from './cmd-task-artifacts.ts';
import { runTaskImport, TASK_IMPORT_USAGE } from './cmd-task-import.ts';
import { cliActor, CONTROL_USAGE, runControl, type ControlName } from './cmd-task-control.ts';
import { parseCliArgs } from './parse-cli-args.ts';
import { taskRef } from './task-ref.ts';
import { renderWaitResult, WAIT_EXIT, waitForTasks } from './task-wait.ts';
import { renderTaskUsage, taskUsage } from '../commands/usage-view.ts';

export const TASK_WAIT_USAGE = 'chat-swarm task wait <task...> [--timeout D] [--until-person] [--json]';

export const TASK_USAGE = `usage:
  ${TASK_ADD_USAGE}
  ${TASK_IMPORT_USAGE}
  ${TASK_WAIT_USAGE}
  chat-swarm task list [--status queued,claimed,...] [--json]
  chat-swarm task show <task> [--json]
  ${TASK_ARTIFACTS_USAGE}
  ${CONTROL_USAGE.answer}
  ${CONTROL_USAGE.approve}
  ${CONTROL_USAGE.reject}
  ${CONTROL_USAGE.note}
  ${CONTROL_USAGE.assign}
  ${CONTROL_USAGE.priority}
  chat-swarm task cancel <task> [--reason TEXT]
  chat-swarm task retry <task>
import reads one task a line as JSON ({"title": "…", "skills": "a,b", "key": "K-1", …}; the fields
are add's options), checks every line first and creates all of them or none (see README)
all take --db PATH and --config FILE; text given as several words is joined with spaces, - reads it
from standard input; a title or text starting with - goes after --
exit codes: 0 done or applied, 1 the ledger refused (unknown task, wrong state) or a task failed,
2 bad usage, 3 the run failed (e.g. the ledger is not writable), and for wait and add --wait:
4 cancelled, 5 timed out waiting, 6 needs a person (with --until-person); failed beats cancelled beats done`;

const COMMON = { db: { type: 'string' }, config: { type: 'string' }, json: { type: 'boolean' } } as const;

const CONTROLS: ReadonlySet<string> = new Set(['answer', 'approve', 'reject', 'note', 'assign', 'priority']);

/** `chat-swarm task …`: enqueue, wait for, inspect and steer work without any chat socket. */
export async function runTask(argv: string[], io: CliIo): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === '--help' || sub === '-h' || sub === 'help') {
    io.out(TASK_USAGE);
    return sub === undefined ? EXIT.usage : EXIT.ok;
  }
  switch (sub) {
    case 'add':
      return runTaskAdd(rest, io);
    case 'import':
      return runTaskImport(rest, io);
    case 'wait':
      return runTaskWait(rest, io);
    case 'artifacts':
      return runTaskArtifacts(rest, io);
    case 'list':
      return runTaskList(rest, io);
    case 'show':
      return runTaskShow(rest, io);
    case 'cancel':
    case 'retry':
      return runCancelRetry(sub, rest, io);
    default:
      if (CONTROLS.has(sub)) return runControl(sub as ControlName, rest, io);
      io.err(`unknown task command '${sub}'\n${TASK_USAGE}`);
      return EXIT.usage;
  }
}

/** `chat-swarm task wait <task...>`: blocks until the tasks are final (or need a person). */
async function runTaskWait(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCliArgs({
    args: argv,
    options: { ...COMMON, timeout: { type: 'string' }, 'until-person': { type: 'boolean' } },
    allowPositionals: true,
    strict: true,
  });
  if (!positionals.length)
    throw new CliError(EXIT.usage, `name at least one task\nusage: ${TASK_WAIT_USAGE}`);
  const ids = [...new Set(positionals.map(taskRef))];
  const timeoutMs = durationFlag('timeout', values.timeout);
  const ctx = cliContext(values, io);
  return withLedgerAsync(ctx, 'read', async (ledger) => {
    const result = await waitForTasks(ledger, ids, {
      timeoutMs,
      untilPerson: values['until-person'] ?? false,
    });
    io.out(
      values.json
        ? JSON.stringify({ db: ctx.dbPath, outcome: result.outcome, tasks: result.tasks })
        : renderWaitResult(result),
    );
    return WAIT_EXIT[result.outcome];
  });
}

function runTaskList(argv: string[], io: CliIo): number {
  const { values } = parseCliArgs({
    args: argv,
    options: { ...COMMON, status: { type: 'string' } },
    strict: true,
  });
  const wanted =
    values.status
      ?.split(',')
      .map((s) => s.trim())
      .filter(Boolean) ?? [];
  const bad = wanted.filter((s) => !(TASK_STATUSES as readonly string[]).includes(s));
  if (bad.length)
    throw new CliError(
      EXIT.usage,
      `unknown status ${bad.join(', ')}; use any of ${TASK_STATUSES.join(', ')}`,
    );
  const ctx = cliContext(values, io);
  return withLedger(ctx, 'read', (ledger) => {
    const tasks = ledger.listTasks({ status: wanted as TaskStatus[] });
    io.out(values.json ? JSON.stringify(tasks) : tasks.map(renderTaskLine).join('\n') || 'no tasks');
    return EXIT.ok;
  });
}

function runTaskShow(argv: string[], io: CliIo): number {
  const { values, positionals } = parseCliArgs({
    args: argv,
    options: COMMON,
    allowPositionals: true,
    strict: true,
  });
  const [word, extra] = positionals;
  if (word === undefined || extra !== undefined)
    throw new CliError(EXIT.usage, 'usage: chat-swarm task show <task> [--json]');
  const id = taskRef(word);
  const ctx = cliContext(values, io);
  return withLedger(ctx, 'read', (ledger) => {
    const task = ledger.getTask(id);
    if (!task) throw new CliError(EXIT.problem, `no task ${id}`);
    const usage = taskUsage(ledger, task.id, task.attempt);
    if (values.json) io.out(JSON.stringify({ task, events: ledger.events({ taskId: task.id }), usage }));
    else {
      const r = renderTaskMessage(task);
      const spending = renderTaskUsage(usage);
      io.out(
        `${r.heading}\n${r.text}${spending ? `\n${spending}` : ''}${task.result ? `\n--- result ---\n${task.result}` : ''}`,
      );
    }
    return EXIT.ok;
  });
}

function runCancelRetry(sub: 'cancel' | 'retry', argv: string[], io: CliIo): number {
  const options = sub === 'cancel' ? ({ ...COMMON, reason: { type: 'string' } } as const) : COMMON;
  const { values, positionals } = parseCliArgs({ args: argv, options, allowPositionals: true, strict: true });
  const [word, extra] = positionals;
  if (word === undefined || extra !== undefined)
    throw new CliError(
      EXIT.usage,
      `usage: chat-swarm task ${sub} <task>${sub === 'cancel' ? ' [--reason TEXT]' : ''}`,
    );
  const id = taskRef(word);
  const ctx = cliContext(values, io);
  return withLedger(ctx, 'write', (ledger) => {
    const reason = 'reason' in values ? (values.reason as string | undefined) : undefined;
    if (sub === 'cancel') ledger.cancel(id, cliActor(io), reason);
    else ledger.retry(id, cliActor(io));
    io.out(`${sub === 'cancel' ? 'cancelled' : 'queued again'} ${id}`);
    return EXIT.ok;
  });
}
