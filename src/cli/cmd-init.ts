import { existsSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseCliArgs } from './parse-cli-args.ts';
import { DEFAULT_CONFIG_FILE } from '../config/load-config.ts';
import { cliContext, cwdOf, EXIT, type CliIo } from './cli-context.ts';
import { openCliLedger } from './cli-ledger.ts';

/** A starter config: the console channel and two shell agents to replace with real ones. */
export const STARTER_CONFIG = {
  db: './swarm.db',
  workDir: './.swarm-work',
  channel: { platform: 'console', admin: true },
  ledger: { synchronous: 'full', leaseMs: 30_000, retryBaseMs: 2_000 },
  agents: [
    {
      id: 'coder-001',
      skills: ['code'],
      capacity: 1,
      command: 'echo "::progress 50 thinking"; sleep 1; echo "did: $SWARM_TASK_TITLE"',
    },
    {
      id: 'writer-001',
      skills: ['docs'],
      capacity: 1,
      command: 'echo "::progress working"; sleep 1; echo "wrote: $SWARM_TASK_TITLE"',
    },
  ],
};

/**
 * `chat-swarm init`: writes a starter config (refuses to overwrite unless --force) and creates the
 * ledger its `db` names, next to it, so every command run with this config finds the same one.
 */
export function runInit(argv: string[], io: CliIo): number {
  const { values, positionals } = parseCliArgs({
    args: argv,
    options: { force: { type: 'boolean' } },
    allowPositionals: true,
    strict: true,
  });
  const file = resolve(cwdOf(io), positionals[0] ?? DEFAULT_CONFIG_FILE);
  if (existsSync(file) && !values.force) {
    io.err(`${file} exists; pass --force to overwrite it`);
    return EXIT.usage;
  }
  writeFileSync(file, `${JSON.stringify(STARTER_CONFIG, null, 2)}\n`, { mode: 0o600 });
  const ctx = cliContext({ config: file }, { ...io, env: { ...io.env, SWARM_DB: '' } });
  openCliLedger(ctx, 'create').close();
  io.out(`wrote ${file}\nledger ${ctx.dbPath}\nedit the agents' commands, then run: npx chat-swarm up`);
  return EXIT.ok;
}
