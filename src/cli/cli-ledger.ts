import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import type { SwarmConfig } from '../config/config-schema.ts';
import type { Ledger } from '../ledger/ledger.ts';
import { CliError } from './cli-error.ts';
import { openLedger } from './swarm.ts';

/**
 * What a command does with the ledger. `read`: only reads (opened read-only, works on a read-only
 * file or folder). `write`: changes tasks but never creates a ledger. `create`: may create it.
 */
export type LedgerUse = 'read' | 'write' | 'create';

/** What opening needs from the CLI context. */
export interface LedgerTarget {
  config: SwarmConfig;
  dbPath: string;
  dbFrom: string;
  /** Its environment gives the secrets to mask and SWARM_AUDIT_KEY. */
  io: { err(text: string): void; env: NodeJS.ProcessEnv };
}

/** Exit code for a ledger that is missing (1) or must be writable and is not (3). */
const MISSING = 1;
const NOT_WRITABLE = 3;

/** The commands that work on a ledger they may not write, named in messages. */
export const READ_ONLY_COMMANDS = 'status, task list|show|wait|artifacts, export and audit';

/**
 * Opens the ledger for `use`. A missing ledger is created only for `create` (saying so on stderr);
 * otherwise it is one clear line naming the absolute path and how to point elsewhere.
 */
export function openCliLedger(target: LedgerTarget, use: LedgerUse): Ledger {
  const { dbPath } = target;
  const exists = existsSync(dbPath);
  if (!exists && use !== 'create') {
    throw new CliError(
      MISSING,
      `no ledger at ${dbPath} (from ${target.dbFrom}); run chat-swarm up or task add there first, or point elsewhere with --db PATH, SWARM_DB or --config FILE`,
    );
  }
  if (!exists && !existsSync(dirname(dbPath))) {
    throw new CliError(
      NOT_WRITABLE,
      `cannot create the ledger ${dbPath} (from ${target.dbFrom}): the folder ${dirname(dbPath)} does not exist; create it or point elsewhere with --db PATH`,
    );
  }
  let ledger: Ledger;
  try {
    ledger = use === 'read' ? openReadOnly(target) : openLedger(target.config, dbPath, target.io.env);
  } catch (err) {
    throw notWritable(err, target, use) ?? err;
  }
  if (!exists) target.io.err(`created ledger ${dbPath}`);
  return ledger;
}

function openReadOnly(target: LedgerTarget): Ledger {
  return openLedger(target.config, target.dbPath, target.io.env, { readonly: true });
}

const READ_ONLY_CODES = /^(SQLITE_READONLY|SQLITE_CANTOPEN|SQLITE_PERM|SQLITE_AUTH|EACCES|EPERM|EROFS)/;

/** Whether an error (or one of its causes) says the file or its folder cannot be written. */
export function isNotWritable(err: unknown): boolean {
  for (let e = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && READ_ONLY_CODES.test(code)) return true;
    if (/readonly database|read-only file system|permission denied|unable to open database/i.test(e.message))
      return true;
  }
  return false;
}

/**
 * The error to show when a command that changes the ledger met a file or folder it cannot write,
 * naming the path that must be writable; undefined for any other error.
 */
export function notWritable(err: unknown, target: LedgerTarget, use: LedgerUse): CliError | undefined {
  if (use === 'read' || !isNotWritable(err)) return undefined;
  const reason = err instanceof Error ? err.message : String(err);
  return new CliError(
    NOT_WRITABLE,
    `cannot write the ledger ${target.dbPath} (${reason}): this command changes it, so the file and its folder ${dirname(target.dbPath)} must be writable by you; ${READ_ONLY_COMMANDS} work read-only`,
    { cause: err },
  );
}
