import { writeFile } from 'node:fs/promises';
import { parseCliArgs } from './parse-cli-args.ts';
import { renderAgents, renderBoard } from '../chat/render-task.ts';
import { resolve } from 'node:path';
import { cliContext, cwdOf, EXIT, withLedger, type CliIo } from './cli-context.ts';

const COMMON = { db: { type: 'string' }, config: { type: 'string' }, json: { type: 'boolean' } } as const;

/** `chat-swarm status`: the board, as text or `--json`. */
export function runStatus(argv: string[], io: CliIo): number {
  const { values } = parseCliArgs({ args: argv, options: COMMON, strict: true });
  const ctx = cliContext(values, io);
  return withLedger(ctx, 'read', (ledger) => {
    const tasks = ledger.listTasks();
    const agents = ledger.listAgents();
    const counts = ledger.countByStatus();
    if (values.json) {
      io.out(JSON.stringify({ db: ctx.dbPath, paused: ledger.isSwarmPaused(), counts, tasks, agents }));
      return EXIT.ok;
    }
    const held = new Map(agents.map((a) => [a.id, ledger.heldBy(a.id).map((t) => t.id)]));
    io.out(
      `ledger ${ctx.dbPath}\n${renderBoard(tasks, counts, ledger.isSwarmPaused())}\n\nagents:\n${renderAgents(agents, held, Date.now())}`,
    );
    return EXIT.ok;
  });
}

/** `chat-swarm audit`: verifies the event chain and the mirror; exit 1 when anything is wrong. */
export function runAudit(argv: string[], io: CliIo): number {
  const { values } = parseCliArgs({ args: argv, options: COMMON, strict: true });
  const ctx = cliContext(values, io);
  return withLedger(ctx, 'read', (ledger) => {
    const report = ledger.audit();
    if (values.json) io.out(JSON.stringify({ db: ctx.dbPath, ...report }));
    else {
      io.out(
        `audited ${ctx.dbPath}: ${report.events} events, ${report.mirroredEvents} meant for the channel`,
      );
      const serious = report.problems.filter((p) => p.kind !== 'pending');
      const pending = report.problems.length - serious.length;
      for (const p of serious.slice(0, 200)) io.out(`  event ${p.seq ?? '-'}: ${p.problem}`);
      if (serious.length > 200) io.out(`  … and ${serious.length - 200} more`);
      if (pending) {
        io.out(
          `  ${pending} message(s) not posted yet: the orchestrator posts them while it runs (chat-swarm up)`,
        );
      }
      io.out(
        report.problems.length
          ? `FAILED: ${serious.length} problem(s) with the log or the mirror, ${pending} not posted yet`
          : 'OK: chain intact, every event mirrored',
      );
    }
    return report.problems.length ? EXIT.problem : EXIT.ok;
  });
}

/** `chat-swarm export`: the event log and the tasks as JSON lines (to stdout or `--out FILE`). */
export async function runExport(argv: string[], io: CliIo): Promise<number> {
  const { values } = parseCliArgs({
    args: argv,
    options: { ...COMMON, out: { type: 'string' } },
    strict: true,
  });
  const ctx = cliContext(values, io);
  const lines: string[] = [];
  withLedger(ctx, 'read', (ledger) => {
    for (const event of ledger.events()) lines.push(JSON.stringify({ kind: 'event', ...event }));
    for (const task of ledger.listTasks()) lines.push(JSON.stringify({ kind: 'task', ...task }));
  });
  if (!values.out) {
    for (const line of lines) io.out(line);
    return EXIT.ok;
  }
  try {
    // The export holds every task and result: private to the user, like the ledger.
    await writeFile(resolve(cwdOf(io), values.out), lines.length ? `${lines.join('\n')}\n` : '', {
      mode: 0o600,
    });
  } catch (err) {
    io.err(`cannot write ${values.out}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    return EXIT.failure;
  }
  io.out(`wrote ${lines.length} lines to ${values.out}`);
  return EXIT.ok;
}
