import { existsSync } from 'node:fs';
import { cliContext, EXIT, type CliIo } from './cli-context.ts';
import { parseCliArgs } from './parse-cli-args.ts';

/** `chat-swarm where`: the absolute ledger, config and work folder every command here would use. */
export function runWhere(argv: string[], io: CliIo): number {
  const { values } = parseCliArgs({
    args: argv,
    options: { db: { type: 'string' }, config: { type: 'string' }, json: { type: 'boolean' } },
    strict: true,
  });
  const ctx = cliContext(values, io);
  const where = {
    db: ctx.dbPath,
    dbFrom: ctx.dbFrom,
    dbExists: existsSync(ctx.dbPath),
    config: ctx.configFile ?? null,
    workDir: ctx.config.workDir,
  };
  if (values.json) io.out(JSON.stringify(where));
  else
    io.out(
      [
        `ledger  ${where.db}${where.dbExists ? '' : ' (not created yet)'}`,
        `        from ${where.dbFrom}`,
        `config  ${where.config ?? 'none (the built-in default: console channel, no agents)'}`,
        `workDir ${where.workDir}`,
      ].join('\n'),
    );
  return EXIT.ok;
}
