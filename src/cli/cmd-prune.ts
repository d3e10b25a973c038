import { pruneDemoRuns } from '../demo/demo-runs.ts';
import { cliContext, EXIT, withLedger, type CliIo } from './cli-context.ts';
import { durationFlag } from './cmd-task-add.ts';
import { cliActor } from './cmd-task-control.ts';
import { parseCliArgs } from './parse-cli-args.ts';

export const PRUNE_USAGE = `chat-swarm prune [--older-than 30d] [--dry-run] [--json] [--db PATH] [--config FILE]
  removes what is older than the retention (default 30d): agents not heard from since then that hold
  no open task (paused ones stay), handled inbox rows, outbox rows of finished tasks that were sent,
  merged, superseded or failed (never pending), and old demo runs in <workDir>/demo; events are never
  deleted (the prune itself is recorded as one); --dry-run lists what would go`;

const DEFAULT_RETENTION = '30d';

/** `chat-swarm prune`: keeps the ledger and the work folder from growing without bound. */
export function runPrune(argv: string[], io: CliIo): number {
  const { values } = parseCliArgs({
    args: argv,
    options: {
      db: { type: 'string' },
      config: { type: 'string' },
      json: { type: 'boolean' },
      'older-than': { type: 'string' },
      'dry-run': { type: 'boolean' },
    },
    strict: true,
  });
  const olderThanMs = durationFlag('older-than', values['older-than'] ?? DEFAULT_RETENTION) ?? 0;
  const dryRun = values['dry-run'] ?? false;
  const ctx = cliContext(values, io);
  return withLedger(ctx, 'write', (ledger) => {
    const cutoffMs = ledger.core.now() - olderThanMs;
    const report = ledger.prune({ cutoffMs, dryRun, actor: cliActor(io) });
    const demos = pruneDemoRuns(ctx.config.workDir, { olderThanMs, now: Date.now(), dryRun }).map(
      (run) => run.dbPath,
    );
    if (values.json) {
      io.out(JSON.stringify({ db: ctx.dbPath, dryRun, olderThanMs, ...report, demoLedgers: demos }));
      return EXIT.ok;
    }
    const verb = dryRun ? 'would remove' : 'removed';
    const lines = [
      `${dryRun ? 'dry run: ' : ''}pruning ${ctx.dbPath}: older than ${values['older-than'] ?? DEFAULT_RETENTION}`,
      `${verb} ${report.agents.length} offline agent(s)${report.agents.length ? `: ${report.agents.join(', ')}` : ''}`,
      `${verb} ${report.inboxRows} inbox row(s) and ${report.outboxRows} outbox row(s)`,
      `${verb} ${demos.length} demo ledger(s)${demos.length ? `:\n  ${demos.join('\n  ')}` : ''}`,
    ];
    io.out(lines.join('\n'));
    return EXIT.ok;
  });
}
