import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { BUILT_IN, DEFAULT_CONFIG_FILE, loadConfig, parseConfig } from '../config/load-config.ts';
import type { SwarmConfig } from '../config/config-schema.ts';
import { createLogger, type Logger } from '../core/logger.ts';
import { SecretMasker, type NamedSecret } from '../core/secret-masker.ts';
import type { Ledger } from '../ledger/ledger.ts';
import { notWritable, openCliLedger, type LedgerUse } from './cli-ledger.ts';
import { readAtMost } from './read-at-most.ts';
import { configuredSecrets } from './swarm.ts';

/** Options every command takes. */
export interface GlobalFlags {
  db?: string | undefined;
  config?: string | undefined;
  json?: boolean | undefined;
}

/**
 * Exit codes. 0 fine, 1 the check found a problem or the ledger refused the request, 2 bad usage or
 * config, 3 the run failed (including a ledger that must be writable and is not). `task wait` adds
 * 4 cancelled, 5 timed out waiting, 6 needs a person; a failed task is 1.
 */
export const EXIT = {
  ok: 0,
  problem: 1,
  usage: 2,
  failure: 3,
  cancelled: 4,
  timedOut: 5,
  needsPerson: 6,
} as const;

/** Where output goes, so commands can be tested without a terminal. */
export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  env: NodeJS.ProcessEnv;
  /** Folder relative paths on the command line start from (default: the process's). */
  cwd?: string;
  /**
   * All of standard input, for `-` in place of a text (default: the process's stdin); given
   * `maxBytes`, reading may stop once past it (the text returned is then longer than that).
   */
  readStdin?: (maxBytes?: number) => Promise<string>;
  /** `--which-db` was given: say on stderr which ledger the command uses. */
  whichDb?: boolean;
}

/** Reads the whole of this process's standard input, or stops once past `maxBytes`. */
async function readProcessStdin(maxBytes = Infinity): Promise<string> {
  return (await readAtMost(process.stdin, maxBytes)).toString('utf8');
}

export const processIo: CliIo = {
  out: (t) => process.stdout.write(t.endsWith('\n') ? t : `${t}\n`),
  err: (t) => process.stderr.write(t.endsWith('\n') ? t : `${t}\n`),
  env: process.env,
  readStdin: readProcessStdin,
};

/** The folder a CLI invocation runs in. */
export const cwdOf = (io: CliIo): string => io.cwd ?? process.cwd();

export interface CliContext {
  config: SwarmConfig;
  /** The config file's absolute path, or undefined when the built-in default is used. */
  configFile: string | undefined;
  /** How messages name the config: its path, or "the built-in default". */
  configSource: string;
  /** The config file's folder (or the current one without a file): relative paths start here. */
  configDir: string;
  /** The ledger's absolute path, by the one rule in {@link ledgerLocation}. */
  dbPath: string;
  /** Where `dbPath` came from, for messages (`--db`, `SWARM_DB`, the config's "db", the default). */
  dbFrom: string;
  /** Secrets from the environment the config names; the logger and the ledger mask them. */
  secrets: NamedSecret[];
  log: Logger;
  io: CliIo;
}

/**
 * The one rule for where the ledger is: `--db`, else `SWARM_DB` (both relative to the current
 * folder), else the config's `db` relative to the config file's folder, else `./swarm.db`.
 */
export function ledgerLocation(
  flags: GlobalFlags,
  io: CliIo,
  config: SwarmConfig,
  configFile: string | undefined,
): { path: string; from: string } {
  const cwd = cwdOf(io);
  if (flags.db !== undefined) return { path: resolve(cwd, flags.db), from: '--db' };
  if (io.env.SWARM_DB) return { path: resolve(cwd, io.env.SWARM_DB), from: 'SWARM_DB' };
  if (configFile !== undefined)
    return { path: resolve(dirname(configFile), config.db), from: `"db" in ${configFile}` };
  return { path: resolve(cwd, 'swarm.db'), from: 'the default ./swarm.db (no config file here)' };
}

/**
 * Loads the config (`--config`, else SWARM_CONFIG, else ./chat-swarm.json if present, else the
 * built-in default) and resolves the ledger and `workDir` to absolute paths by the one rule.
 */
export function cliContext(flags: GlobalFlags, io: CliIo): CliContext {
  const cwd = cwdOf(io);
  const explicit = flags.config ?? (io.env.SWARM_CONFIG || undefined);
  const defaultFile = resolve(cwd, DEFAULT_CONFIG_FILE);
  const file =
    explicit !== undefined ? resolve(cwd, explicit) : existsSync(defaultFile) ? defaultFile : undefined;
  const loaded =
    file !== undefined
      ? loadConfig(file)
      : { config: parseConfig({}, 'the built-in default config'), source: BUILT_IN };
  const configDir = file !== undefined ? dirname(file) : cwd;
  // workDir follows the same rule as db: relative to the config file.
  const config = { ...loaded.config, workDir: resolve(configDir, loaded.config.workDir) };
  const db = ledgerLocation(flags, io, config, file);
  if (io.whichDb) io.err(`ledger ${db.path} (from ${db.from})`);
  const level = (io.env.SWARM_LOG_LEVEL as SwarmConfig['logLevel'] | undefined) ?? config.logLevel;
  const secrets = configuredSecrets(config, io.env);
  const log = createLogger(level, process.stderr, 'swarm', new SecretMasker(secrets));
  return {
    config,
    configFile: file,
    configSource: loaded.source,
    configDir,
    dbPath: db.path,
    dbFrom: db.from,
    secrets,
    log,
    io,
  };
}

/**
 * Runs `fn` with the ledger open for `use` and closes it afterwards: `read` opens it read-only,
 * `write` needs it to exist, `create` may create it (and says so on stderr).
 */
export function withLedger<T>(ctx: CliContext, use: LedgerUse, fn: (ledger: Ledger) => T): T {
  const ledger = openCliLedger(ctx, use);
  try {
    return fn(ledger);
  } catch (err) {
    throw notWritable(err, ctx, use) ?? err;
  } finally {
    ledger.close();
  }
}

/** Like {@link withLedger} for work that waits (task wait, add --wait). */
export async function withLedgerAsync<T>(
  ctx: CliContext,
  use: LedgerUse,
  fn: (ledger: Ledger) => Promise<T>,
): Promise<T> {
  const ledger = openCliLedger(ctx, use);
  try {
    return await fn(ledger);
  } catch (err) {
    throw notWritable(err, ctx, use) ?? err;
  } finally {
    ledger.close();
  }
}
