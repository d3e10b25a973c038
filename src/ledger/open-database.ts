import Database from 'better-sqlite3';
import { chmodSync, closeSync, constants, openSync, statSync } from 'node:fs';
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

/** Mode of the ledger file; SQLite gives its -wal and -shm files the same mode. */
export const LEDGER_FILE_MODE = 0o600;

/** SQLite's names for a database that lives in memory or in a temporary file, not at a path. */
const isFileless = (path: string): boolean => path === '' || path === ':memory:';

/**
 * Makes the ledger file private to its user before SQLite opens it: created 0600 if missing (SQLite
 * would create it 0644 under the usual umask, and its -wal and -shm after it), and tightened to 0600
 * if a file left by an older version is readable by others. A file owned by someone else is left be.
 */
function makeLedgerFilePrivate(path: string): void {
  closeSync(openSync(path, constants.O_RDWR | constants.O_CREAT, LEDGER_FILE_MODE));
  for (const file of [path, `${path}-wal`, `${path}-shm`]) {
    try {
      if ((statSync(file).mode & 0o077) !== 0) chmodSync(file, LEDGER_FILE_MODE);
    } catch {
      // Absent (no -wal yet) or not ours to change: SQLite reports what matters when it opens.
    }
  }
}

/**
 * Opens (creating if needed) a ledger file in WAL mode with a busy timeout, so many agent processes
 * on one host can share it, then brings its schema up to date. The file and its -wal and -shm are
 * 0600 whatever the umask.
 */
export function openDatabase(path: string, options: OpenDatabaseOptions = {}): Database.Database {
  let db: Database.Database;
  try {
    if (!options.readonly && !isFileless(path)) makeLedgerFilePrivate(path);
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
