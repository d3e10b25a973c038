import { join } from 'node:path';
import { parseCliArgs } from './parse-cli-args.ts';
import { createLogger } from '../core/logger.ts';
import { runDemo } from '../demo/run-demo.ts';
import { EXIT, type CliIo } from './cli-context.ts';

/** `chat-swarm demo`: a small swarm on the console channel that finishes and exits. */
export async function runDemoCommand(argv: string[], io: CliIo): Promise<number> {
  const { values } = parseCliArgs({
    args: argv,
    options: { db: { type: 'string' }, interactive: { type: 'boolean' } },
    strict: true,
  });
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const dbPath = values.db ?? io.env.SWARM_DB ?? join('.swarm-work', `demo-${stamp}.db`);
  const interactive = values.interactive ?? (Boolean(process.stdin.isTTY) && !io.env.CI);
  const result = await runDemo({
    dbPath,
    workDir: '.swarm-work',
    interactive,
    log: createLogger((io.env.SWARM_LOG_LEVEL as 'debug' | 'info' | 'warn' | 'error' | undefined) ?? 'warn'),
    out: (text) => io.out(text),
  });
  return result.ok ? EXIT.ok : EXIT.problem;
}
