import { dirname } from 'node:path';
import { BUILT_IN, loadConfig } from '../config/load-config.ts';
import type { SwarmConfig } from '../config/config-schema.ts';
import { createLogger, type Logger } from '../core/logger.ts';
import { SecretMasker, type NamedSecret } from '../core/secret-masker.ts';
import type { Ledger } from '../ledger/ledger.ts';
import { configuredSecrets, openLedger } from './swarm.ts';

/** Options every command takes. */
export interface GlobalFlags {
  db?: string | undefined;
  config?: string | undefined;
  json?: boolean | undefined;
}

/** Exit codes: 0 fine, 1 the check found a problem, 2 bad usage or config, 3 the run failed. */
export const EXIT = { ok: 0, problem: 1, usage: 2, failure: 3 } as const;

/** Where output goes, so commands can be tested without a terminal. */
export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  env: NodeJS.ProcessEnv;
}

export const processIo: CliIo = {
  out: (t) => process.stdout.write(t.endsWith('\n') ? t : `${t}\n`),
  err: (t) => process.stderr.write(t.endsWith('\n') ? t : `${t}\n`),
  env: process.env,
};

export interface CliContext {
  config: SwarmConfig;
  configSource: string;
  /** The config file's folder (or the current one for the built-in default): relative paths start here. */
  configDir: string;
  dbPath: string;
  /** Secrets from the environment the config names; the logger and the ledger mask them. */
  secrets: NamedSecret[];
  log: Logger;
  io: CliIo;
}

/** Loads config and resolves the ledger path: `--db`, else SWARM_DB, else the config's `db`. */
export function cliContext(flags: GlobalFlags, io: CliIo): CliContext {
  const { config, source } = loadConfig(flags.config ?? io.env.SWARM_CONFIG);
  const dbPath = flags.db ?? io.env.SWARM_DB ?? config.db;
  const level = (io.env.SWARM_LOG_LEVEL as SwarmConfig['logLevel'] | undefined) ?? config.logLevel;
  const configDir = source === BUILT_IN ? process.cwd() : dirname(source);
  const secrets = configuredSecrets(config, io.env);
  const log = createLogger(level, process.stderr, 'swarm', new SecretMasker(secrets));
  return { config, configSource: source, configDir, dbPath, secrets, log, io };
}

/** Runs `fn` with the ledger open and closes it afterwards. */
export function withLedger<T>(ctx: CliContext, fn: (ledger: Ledger) => T): T {
  const ledger = openLedger(ctx.config, ctx.dbPath, ctx.io.env);
  try {
    return fn(ledger);
  } finally {
    ledger.close();
  }
}
