import Database from 'better-sqlite3';
import {
  chmodSync,
  closeSync,
  constants,
  existsSync,
  lstatSync,
  openSync,
  readFileSync,
  statSync,
} from 'node:fs';
import { LedgerError } from '../core/errors.ts';
import { commitBellPath } from './commit-bell.ts';
import { migrate } from './migrations.ts';

export type Synchronous = 'full' | 'normal' | 'off';

export interface OpenDatabaseOptions {
  /** FULL survives power loss after commit; NORMAL may lose the last commits on power loss (not on crash). */
  synchronous?: Synchronous;
  /** How long a writer waits for another process's write lock before failing. */
  busyTimeoutMs?: number;
  readonly?: boolean;
}

/** WAL pages after which a committing writer checkpoints (see `openDatabase`). */
export const WAL_AUTOCHECKPOINT_PAGES = 4_096;

/** Mode of the ledger file; SQLite gives its -wal and -shm files the same mode. */
export const LEDGER_FILE_MODE = 0o600;

/** SQLite's names for a database that lives in memory or in a temporary file, not at a path. */
export const isFileless = (path: string): boolean => path === '' || path === ':memory:';

/**
 * Makes the ledger file private to its user before SQLite opens it: created 0600 if missing (SQLite
 * would create it 0644 under the usual umask, and its -wal and -shm after it), and tightened to 0600
 * if a file left by an older version is readable by others (and so its commit bell, see
 * commit-bell.ts). A file owned by someone else is left be.
 */
function makeLedgerFilePrivate(path: string): void {
  closeSync(openSync(path, constants.O_RDWR | constants.O_CREAT, LEDGER_FILE_MODE));
  for (const file of [path, `${path}-wal`, `${path}-shm`, commitBellPath(path)]) {
    try {
      // The files beside the ledger are looked at, not followed: a link planted as one of them
      // would have chmod change its target.
      const stat = file === path ? statSync(file) : lstatSync(file);
      if (stat.isFile() && (stat.mode & 0o077) !== 0) chmodSync(file, LEDGER_FILE_MODE);
    } catch {
      // Absent (no -wal yet) or not ours to change: SQLite reports what matters when it opens.
    }
  }
}

/**
 * Opens an existing ledger for reading only. In a folder it cannot write, SQLite can read a WAL file
 * in place only while its -shm exists; after a clean close there is none, so the file is read into
 * memory instead (a snapshot: nothing another process commits later shows).
 */
function openReadOnly(path: string, options: OpenDatabaseOptions): Database.Database {
  let db: Database.Database | undefined;
  try {
    db = new Database(path, { readonly: true, fileMustExist: true });
    db.pragma(`busy_timeout = ${options.busyTimeoutMs ?? 10_000}`);
    // The -shm is needed at the first read, not at open.
    db.prepare('SELECT 1 FROM sqlite_master LIMIT 1').get();
    return db;
  } catch (cause) {
    db?.close();
    const code = (cause as { code?: unknown }).code;
    if (typeof code !== 'string' || !/^SQLITE_(READONLY|CANTOPEN)/.test(code)) throw cause;
    const wal = `${path}-wal`;
    if (existsSync(wal) && statSync(wal).size > 0) {
      throw new Error(
        `${(cause as Error).message}; its folder is read-only and ${wal} holds commits not merged into it yet (a writable folder, or the -shm file, is needed to read them)`,
        { cause },
      );
    }
    const image = readFileSync(path);
    // Bytes 18-19 say WAL (2); an in-memory copy cannot use WAL, so mark the copy rollback-journal (1).
    if (image.length >= 20 && image[18] === 2) image.fill(1, 18, 20);
    return new Database(image, { readonly: true });
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
    if (options.readonly && !isFileless(path)) return openReadOnly(path, options);
    if (!isFileless(path)) makeLedgerFilePrivate(path);
    db = new Database(path);
  } catch (cause) {
    throw new LedgerError('ledger_open', `cannot open ledger ${path}: ${(cause as Error).message}`, {
      cause,
    });
  }
  try {
    db.pragma(`busy_timeout = ${options.busyTimeoutMs ?? 10_000}`);
    db.pragma('journal_mode = WAL');
    db.pragma(`synchronous = ${(options.synchronous ?? 'full').toUpperCase()}`);
    // A state change writes about 13 pages (task, attempt, event and outbox rows and their
    // indexes): at SQLite's default of 1,000 pages the writer would checkpoint (copying pages and,
    // at FULL and NORMAL alike, syncing twice) every ~75 commits. Until its first checkpoint the WAL
    // grows, and at FULL a commit that grows the file costs about 1.5× one that overwrites it. At
    // 4,096 pages (16 MiB at most) a fresh ledger stops growing after ~300 commits and checkpoints
    // four times less often than the default. Against 8,192, in 2,000-job runs of complete-and-claim
    // alternated in one process: 1.15× the jobs a second at FULL, the same at NORMAL.
    db.pragma(`wal_autocheckpoint = ${WAL_AUTOCHECKPOINT_PAGES}`);
    db.pragma('foreign_keys = ON');
    migrate(db);
  } catch (cause) {
    db.close();
    if (cause instanceof LedgerError) throw cause;
    throw new LedgerError('ledger_open', `cannot prepare ledger ${path}: ${(cause as Error).message}`, {
      cause,
    });
  }
  return db;
}
