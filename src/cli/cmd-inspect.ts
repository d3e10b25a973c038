import { writeFile } from 'node:fs/promises';
import { parseCliArgs } from './parse-cli-args.ts';
import { renderAgents, renderBoard } from '../chat/render-task.ts';
import { resolve } from 'node:path';
import { remoteAgentIds } from '../remote/remote-registry.ts';
import { staffingOf } from '../chat/staffing.ts';
import { describeError } from '../core/errors.ts';
import { newestCheckpoint, parseCheckpointArg, type Checkpoint } from '../ledger/audit-checkpoint.ts';
import type { AuditOptions, AuditProblem, AuditReport } from '../ledger/audit.ts';
import type { Ledger } from '../ledger/ledger.ts';
import { cliContext, cwdOf, EXIT, withLedger, type CliContext, type CliIo } from './cli-context.ts';
import { openCliLedger } from './cli-ledger.ts';
import { openChannel } from './open-channel.ts';
import { renderStatusUsage, statusUsage } from '../commands/usage-view.ts';

const COMMON = { db: { type: 'string' }, config: { type: 'string' }, json: { type: 'boolean' } } as const;

/** `chat-swarm status`: the board, as text or `--json`. */
export function runStatus(argv: string[], io: CliIo): number {
  const { values } = parseCliArgs({ args: argv, options: COMMON, strict: true });
  const ctx = cliContext(values, io);
  return withLedger(ctx, 'read', (ledger) => {
    const tasks = ledger.listTasks();
    const agents = ledger.listAgents();
    const counts = ledger.countByStatus();
    const usage = statusUsage(ledger, Date.now());
    if (values.json) {
      const remote = remoteAgentIds(ledger);
      io.out(
        JSON.stringify({
          db: ctx.dbPath,
          paused: ledger.isSwarmPaused(),
          counts,
          tasks,
          agents: agents.map((a) => ({ ...a, remote: remote.has(a.id) })),
          usage,
        }),
      );
      return EXIT.ok;
    }
    const held = new Map(agents.map((a) => [a.id, ledger.heldBy(a.id).map((t) => t.id)]));
    io.out(
      `ledger ${ctx.dbPath}\n${renderBoard(tasks, counts, ledger.isSwarmPaused(), staffingOf(agents, Date.now(), ledger.options.leaseMs))}\n\nagents:\n${renderAgents(agents, held, Date.now(), remoteAgentIds(ledger))}`,
    );
    const spending = renderStatusUsage(usage);
    if (spending) io.out(`\n${spending}`);
    return EXIT.ok;
  });
}

/** `chat-swarm audit`: checks the ledger (see `auditLedger`), optionally against checkpoints; exit 1 when anything is wrong. */
export async function runAudit(argv: string[], io: CliIo): Promise<number> {
  const { values } = parseCliArgs({
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
  // Reading the channel lends the adapter the ledger's cursor store, so that needs a writable file.
  const ledger = openCliLedger(ctx, values.channel ? 'write' : 'read');
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
  const { values } = parseCliArgs({
    args: argv,
    options: { ...COMMON, out: { type: 'string' } },
    strict: true,
  });
  const ctx = cliContext(values, io);
  const lines: string[] = [];
  withLedger(ctx, 'read', (ledger) => {
    // Everything as stored, damage included: an export is also how a damaged ledger is salvaged.
    for (const event of ledger.events({ tolerant: true })) {
      if (event.damagedData !== undefined)
        io.err(
          `event ${event.seq}: its data is not a JSON object; exported as damagedData (chat-swarm audit reports the damage)`,
        );
      lines.push(JSON.stringify({ kind: 'event', ...event }));
    }
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
