import Database from 'better-sqlite3';
import { LedgerError } from '../core/errors.ts';
import { migrate } from './migrations.ts';

export type Synchronous = 'full' | 'normal' | 'off';

export interface OpenDatabaseOptions {
  /** FULL survives power loss after commit; NORMAL may lose the last commits on power loss (not on crash). */
  synchronous?: Synchronous;
  /** How long a writer waits for another process's write lock before failing. */
  busyTimeoutMs?: number;
  readonly?: boolean;
}

/**
 * Opens (creating if needed) a ledger file in WAL mode with a busy timeout, so many agent processes
 * on one host can share it, then brings its schema up to date.
 */
export function openDatabase(path: string, options: OpenDatabaseOptions = {}): Database.Database {
  let db: Database.Database;
  try {
    db = new Database(path, { readonly: options.readonly ?? false });
  } catch (cause) {
    throw new LedgerError('ledger_open', `cannot open ledger ${path}: ${(cause as Error).message}`, {
      cause,
    });
  }
  try {
    db.pragma(`busy_timeout = ${options.busyTimeoutMs ?? 10_000}`);
    if (!options.readonly) {
      db.pragma('journal_mode = WAL');
      db.pragma(`synchronous = ${(options.synchronous ?? 'full').toUpperCase()}`);
      db.pragma('foreign_keys = ON');
      migrate(db);
    }
  } catch (cause) {
    db.close();
    if (cause instanceof LedgerError) throw cause;
    throw new LedgerError('ledger_open', `cannot prepare ledger ${path}: ${(cause as Error).message}`, {
      cause,
    });
  }
  return db;
}
