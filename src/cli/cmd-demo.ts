import { resolve } from 'node:path';
import { parseCliArgs } from './parse-cli-args.ts';
import { createLogger } from '../core/logger.ts';
import { DEMO_RUNS_KEPT, newDemoRun, pruneDemoRuns } from '../demo/demo-runs.ts';
import { runDemo } from '../demo/run-demo.ts';
import { cwdOf, EXIT, type CliIo } from './cli-context.ts';

/**
 * `chat-swarm demo`: a small swarm on the console channel that finishes and exits. Each run gets a
 * ledger and a work folder in `.swarm-work/demo/`, and only the last few runs are kept there.
 */
export async function runDemoCommand(argv: string[], io: CliIo): Promise<number> {
  const { values } = parseCliArgs({
    args: argv,
    options: { db: { type: 'string' }, interactive: { type: 'boolean' } },
    strict: true,
  });
  const workRoot = resolve(cwdOf(io), '.swarm-work');
  const given = values.db ?? (io.env.SWARM_DB || undefined);
  let run = { dbPath: given === undefined ? '' : resolve(cwdOf(io), given), workDir: workRoot };
  if (given === undefined) {
    // Room for this run among the ones kept.
    pruneDemoRuns(workRoot, { keep: DEMO_RUNS_KEPT - 1 });
    run = newDemoRun(workRoot);
  }
  const interactive = values.interactive ?? (Boolean(process.stdin.isTTY) && !io.env.CI);
  const result = await runDemo({
    dbPath: run.dbPath,
    workDir: run.workDir,
    interactive,
    log: createLogger((io.env.SWARM_LOG_LEVEL as 'debug' | 'info' | 'warn' | 'error' | undefined) ?? 'warn'),
    out: (text) => io.out(text),
  });
  return result.ok ? EXIT.ok : EXIT.problem;
}
