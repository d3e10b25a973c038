import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { renderAgents, renderBoard } from '../chat/render-task.ts';
import { staffingOf } from '../chat/staffing.ts';
import { describeError } from '../core/errors.ts';
import { newestCheckpoint, parseCheckpointArg, type Checkpoint } from '../ledger/audit-checkpoint.ts';
import type { AuditOptions, AuditProblem, AuditReport } from '../ledger/audit.ts';
import type { Ledger } from '../ledger/ledger.ts';
import { cliContext, EXIT, withLedger, type CliContext, type CliIo } from './cli-context.ts';
import { openChannel } from './open-channel.ts';
import { openLedger } from './swarm.ts';

const COMMON = { db: { type: 'string' }, config: { type: 'string' }, json: { type: 'boolean' } } as const;

/** Commands that only read refuse a missing ledger instead of creating an empty one. */
export function requireLedgerFile(path: string, io: CliIo): boolean {
  if (existsSync(path)) return true;
  io.err(`no ledger at ${path}; pass --db PATH (or set SWARM_DB)`);
  return false;
}

/** `chat-swarm status`: the board, as text or `--json`. */
export function runStatus(argv: string[], io: CliIo): number {
  const { values } = parseArgs({ args: argv, options: COMMON, strict: true });
  const ctx = cliContext(values, io);
  if (!requireLedgerFile(ctx.dbPath, io)) return EXIT.problem;
  return withLedger(ctx, (ledger) => {
    const tasks = ledger.listTasks();
    const agents = ledger.listAgents();
    const counts = ledger.countByStatus();
    if (values.json) {
      io.out(JSON.stringify({ db: ctx.dbPath, paused: ledger.isSwarmPaused(), counts, tasks, agents }));
      return EXIT.ok;
    }
    const held = new Map(agents.map((a) => [a.id, ledger.heldBy(a.id).map((t) => t.id)]));
    io.out(
      `ledger ${ctx.dbPath}\n${renderBoard(tasks, counts, ledger.isSwarmPaused(), staffingOf(agents, Date.now(), ledger.options.leaseMs))}\n\nagents:\n${renderAgents(agents, held, Date.now())}`,
    );
    return EXIT.ok;
  });
}

/** `chat-swarm audit`: checks the ledger (see `auditLedger`), optionally against checkpoints; exit 1 when anything is wrong. */
export async function runAudit(argv: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { ...COMMON, channel: { type: 'boolean' }, checkpoint: { type: 'string' } },
    strict: true,
  });
  const byHand = values.checkpoint === undefined ? undefined : parseCheckpointArg(values.checkpoint);
  if (values.checkpoint !== undefined && !byHand) {
    io.err(
      `--checkpoint takes SEQ:HASH (the event number, a colon, 64 hex digits), got '${values.checkpoint}'`,
    );
    return EXIT.usage;
  }
  const ctx = cliContext(values, io);
  if (!requireLedgerFile(ctx.dbPath, io)) return EXIT.problem;
  const ledger = openLedger(ctx.config, ctx.dbPath, io.env);
  try {
    const checkpoints: NonNullable<AuditOptions['checkpoints']> = [];
    const missing: AuditProblem[] = [];
    if (byHand) checkpoints.push({ checkpoint: byHand, source: '--checkpoint' });
    if (values.channel) {
      const read = await readChannelCheckpoint(ctx, ledger);
      if ('error' in read) {
        io.err(read.error);
        return EXIT.failure;
      }
      if (read.checkpoint)
        checkpoints.push({ checkpoint: read.checkpoint, source: `the ${read.platform} channel` });
      else
        missing.push({
          seq: null,
          kind: 'checkpoint',
          problem: `no checkpoint in the ${read.platform} channel: the swarm's pinned checkpoint message is missing (deleted, unpinned, or never written)`,
        });
    }
    const report = ledger.audit({ checkpoints });
    report.problems.push(...missing);
    if (values.json) io.out(JSON.stringify({ db: ctx.dbPath, ...report }));
    else printAudit(ctx.dbPath, report, io);
    return report.problems.length ? EXIT.problem : EXIT.ok;
  } finally {
    ledger.close();
  }
}

/** Reads the newest checkpoint pinned in the configured channel, connecting only to read it. */
async function readChannelCheckpoint(
  ctx: CliContext,
  ledger: Ledger,
): Promise<{ platform: string; checkpoint: Checkpoint | undefined } | { error: string }> {
  const { port } = await openChannel(ctx.config, ledger, ctx.log, ctx.io.env);
  try {
    if (!port.checkpoint) return { error: `the ${port.platform} channel keeps no checkpoint` };
    return { platform: port.platform, checkpoint: newestCheckpoint(await port.checkpoint.read()) };
  } catch (err) {
    return { error: `cannot read the checkpoint from the ${port.platform} channel: ${describeError(err)}` };
  } finally {
    await port.stop();
  }
}

function printAudit(dbPath: string, report: AuditReport, io: CliIo): void {
  io.out(
    `audited ${dbPath}: ${report.events} events, ${report.tasks} task rows replayed, ${report.mirroredEvents} events meant for the channel`,
  );
  if (report.keyedFrom !== null) io.out(`  chain keyed (SWARM_AUDIT_KEY) from event ${report.keyedFrom}`);
  for (const c of report.checkpoints) {
    const when = c.checkpoint.at === undefined ? '' : `, written ${new Date(c.checkpoint.at).toISOString()}`;
    io.out(
      `  checkpoint from ${c.source}: event ${c.checkpoint.seq} (${c.checkpoint.hash.slice(0, 12)}…${when}); ${c.eventsAfter} event(s) after it`,
    );
  }
  const serious = report.problems.filter((p) => p.kind !== 'pending');
  const pending = report.problems.length - serious.length;
  for (const p of serious.slice(0, 200))
    io.out(p.seq === null ? `  ${p.problem}` : `  event ${p.seq}: ${p.problem}`);
  if (serious.length > 200) io.out(`  … and ${serious.length - 200} more`);
  if (pending) {
    io.out(
      `  ${pending} message(s) not posted yet: the orchestrator posts them while it runs (chat-swarm up)`,
    );
  }
  for (const note of report.notes) io.out(`  note: ${note}`);
  const anchored = report.checkpoints.length ? ', checkpoint held' : '';
  io.out(
    report.problems.length
      ? `FAILED: ${serious.length} problem(s) with the log, the task rows or the mirror, ${pending} not posted yet`
      : `OK: chain intact, task rows match the events, every event mirrored${anchored}`,
  );
}

/** `chat-swarm export`: the event log and the tasks as JSON lines (to stdout or `--out FILE`). */
export async function runExport(argv: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { ...COMMON, out: { type: 'string' } }, strict: true });
  const ctx = cliContext(values, io);
  if (!requireLedgerFile(ctx.dbPath, io)) return EXIT.problem;
  const lines: string[] = [];
  withLedger(ctx, (ledger) => {
    for (const event of ledger.events()) lines.push(JSON.stringify({ kind: 'event', ...event }));
    for (const task of ledger.listTasks()) lines.push(JSON.stringify({ kind: 'task', ...task }));
  });
  if (!values.out) {
    for (const line of lines) io.out(line);
    return EXIT.ok;
  }
  try {
    // The export holds every task and result: private to the user, like the ledger.
    await writeFile(values.out, lines.length ? `${lines.join('\n')}\n` : '', { mode: 0o600 });
  } catch (err) {
    io.err(`cannot write ${values.out}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    return EXIT.failure;
  }
  io.out(`wrote ${lines.length} lines to ${values.out}`);
  return EXIT.ok;
}
