import type Database from 'better-sqlite3';

// A synchronous sleep that costs no CPU (the process has nothing else to do while it waits).
const sleeper = new Int32Array(new SharedArrayBuffer(4));
const sleepMs = (ms: number): void => void Atomics.wait(sleeper, 0, 0, ms);

/** First and longest pause between two tries for a busy write lock. */
const FIRST_WAIT_MS = 0.2;
const LONGEST_WAIT_MS = 4;

function isBusy(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' && code.startsWith('SQLITE_BUSY');
}

/**
 * Takes the write lock (`BEGIN IMMEDIATE`) waiting in short steps when another process holds it.
 * SQLite's own busy handler sleeps 1, 2, 5, 10… ms between tries, while a ledger transaction holds
 * the lock for well under a millisecond at synchronous=NORMAL: processes sharing one file would
 * mostly sleep through free locks. Here a waiter tries again after 0.2 ms, backing off to 4 ms,
 * with jitter, until the connection's busy timeout has passed (then SQLITE_BUSY is thrown as before).
 */
export function createWriteLock(db: Database.Database): { begin(): void } {
  const timeoutMs = db.pragma('busy_timeout', { simple: true }) as number;
  const begin = db.prepare('BEGIN IMMEDIATE');
  const noWait = db.prepare('PRAGMA busy_timeout = 0');
  const restore = db.prepare(`PRAGMA busy_timeout = ${timeoutMs}`);
  return {
    begin() {
      // Without the handler, a busy lock fails at once and the loop below decides how long to wait.
      noWait.run();
      try {
        const deadline = Date.now() + timeoutMs;
        for (let waitMs = FIRST_WAIT_MS; ; waitMs = Math.min(LONGEST_WAIT_MS, waitMs * 1.5)) {
          try {
            begin.run();
            return;
          } catch (err) {
            if (!isBusy(err) || Date.now() >= deadline) throw err;
          }
          sleepMs(waitMs * (0.5 + Math.random()));
        }
      } finally {
        restore.run();
      }
    },
  };
}
