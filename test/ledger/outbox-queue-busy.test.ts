/**
 * The outbox is bookkeeping derived from the event log, and the agents doing the work come first:
 * its batches commit without a disk flush of their own (`writeDerived`), and the poster queues them
 * only while the write lock is free (`writeDerivedIfFree`, `OutboxStore.queueForPosting`), catching
 * up by waiting its turn once it has lagged `MAX_QUEUE_LAG_MS`.
 */
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { Ledger } from '../../src/ledger/ledger.ts';
import { eventsBehind } from '../../src/ledger/outbox-queue.ts';
import { MAX_QUEUE_LAG_MS } from '../../src/ledger/outbox-store.ts';
import { manualClock, tempLedger } from '../support/temp-ledger.ts';

/** A busy timeout no test here waits out: a call that waited for the lock would fail the test. */
const LONG_BUSY_TIMEOUT_MS = 60_000;
const NO_WAIT_TEST_LIMIT_MS = 5_000;

const synchronous = (l: Ledger): number => l.db.pragma('synchronous', { simple: true }) as number;
const busyTimeout = (l: Ledger): number => l.db.pragma('busy_timeout', { simple: true }) as number;

/** Another process's connection holding the write lock until `release` (which rolls it back). */
function holdWriteLock(l: Ledger): { release(): void } {
  const other = new Database(l.path);
  other.exec('BEGIN IMMEDIATE');
  return {
    release() {
      other.exec('ROLLBACK');
      other.close();
    },
  };
}

const kvValue = (l: Ledger, key: string): string | undefined =>
  (l.db.prepare('SELECT value FROM kv WHERE key = ?').get(key) as { value: string } | undefined)?.value;
const setKv = (l: Ledger, key: string, value: string): void => {
  l.db.prepare('INSERT OR REPLACE INTO kv (key, value) VALUES (?, ?)').run(key, value);
};

describe('derived writes (the outbox queue)', () => {
  it('commit at NORMAL on a FULL connection and put FULL back, also when they fail', () => {
    const l = tempLedger({ synchronous: 'full' });
    expect(synchronous(l)).toBe(2);
    expect(l.core.writeDerived(() => (setKv(l, 'k', 'v'), synchronous(l)))).toBe(1);
    expect(synchronous(l)).toBe(2);
    expect(kvValue(l, 'k')).toBe('v');
    expect(() =>
      l.core.writeDerived(() => {
        setKv(l, 'k', 'rolled back');
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(synchronous(l)).toBe(2);
    expect(kvValue(l, 'k')).toBe('v');
  });

  it('are how the outbox queue commits its batches', () => {
    const l = tempLedger({ synchronous: 'full' });
    l.createTask({ title: 'a' }, 'cli');
    const seen: number[] = [];
    const write = l.core.write.bind(l.core);
    l.core.write = <T>(fn: () => T): T => {
      seen.push(synchronous(l));
      return write(fn);
    };
    // The setting each write of `queue` began at.
    const during = (queue: () => unknown): number[] => {
      seen.length = 0;
      queue();
      return [...seen];
    };
    expect(during(() => l.outbox.queueEvents())).toEqual([1]);
    l.createTask({ title: 'b' }, 'cli');
    expect(during(() => l.outbox.due('main', 10))).toEqual([1]);
    expect(l.outbox.due('main', 10)).toHaveLength(2);
    expect(synchronous(l)).toBe(2);
  });

  it('keep FULL where the file is not in WAL mode (NORMAL could then lose more than the batch)', () => {
    const l = Ledger.open('', { synchronous: 'full' });
    try {
      expect(String(l.db.pragma('journal_mode', { simple: true })).toLowerCase()).not.toBe('wal');
      expect(l.core.writeDerived(() => synchronous(l))).toBe(2);
    } finally {
      l.close();
    }
  });

  it('leave a NORMAL connection as it is, and a caller’s transaction at its own setting', () => {
    const normal = tempLedger({ synchronous: 'normal' });
    expect(normal.core.writeDerived(() => synchronous(normal))).toBe(1);
    const full = tempLedger({ synchronous: 'full' });
    // The caller's transaction commits at the caller's setting: the derived write is part of it.
    expect(full.db.transaction(() => full.core.writeDerived(() => synchronous(full)))()).toBe(2);
  });

  it('if the lock is free: run, and give the busy timeout back', () => {
    const l = tempLedger({ busyTimeoutMs: 4_000 });
    expect(l.core.writeDerivedIfFree(() => (setKv(l, 'k', 'v'), 7))).toEqual({ done: true, value: 7 });
    expect(kvValue(l, 'k')).toBe('v');
    expect(busyTimeout(l)).toBe(4_000);
    expect(() =>
      l.core.writeDerivedIfFree(() => {
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(busyTimeout(l)).toBe(4_000);
  });

  it(
    'if another connection holds the lock: run nothing and say so, without waiting for it',
    () => {
      // A wait would sit out the busy timeout, far past this test's own limit.
      const l = tempLedger({ busyTimeoutMs: LONG_BUSY_TIMEOUT_MS });
      const lock = holdWriteLock(l);
      let ran = false;
      try {
        expect(l.core.writeDerivedIfFree(() => (ran = true))).toEqual({ done: false });
        expect(ran).toBe(false);
        expect(busyTimeout(l)).toBe(LONG_BUSY_TIMEOUT_MS);
      } finally {
        lock.release();
      }
      expect(l.core.writeDerivedIfFree(() => (ran = true))).toEqual({ done: true, value: true });
    },
    NO_WAIT_TEST_LIMIT_MS,
  );

  it('inside a caller’s transaction the lock is held already: it runs', () => {
    const l = tempLedger();
    const out = l.db.transaction(() => l.core.writeDerivedIfFree(() => (setKv(l, 'k', 'in tx'), 1)))();
    expect(out).toEqual({ done: true, value: 1 });
    expect(kvValue(l, 'k')).toBe('in tx');
  });
});

describe('the poster’s queue while other processes write', () => {
  it(
    'picks among what is queued while the lock is taken, and queues the rest once it is free',
    () => {
      const l = tempLedger({ busyTimeoutMs: LONG_BUSY_TIMEOUT_MS });
      l.createTask({ title: 'first' }, 'cli');
      expect(l.outbox.due('main', 10)).toHaveLength(1);
      l.createTask({ title: 'second' }, 'cli');
      const lock = holdWriteLock(l);
      try {
        // Neither waits for the lock nor fails: the second task's row is simply not queued yet.
        expect(l.outbox.due('main', 10).map((r) => r.taskId)).toEqual(['T-1']);
        expect(eventsBehind(l.core)).toBe(1);
      } finally {
        lock.release();
      }
      expect(l.outbox.due('main', 10).map((r) => r.taskId)).toEqual(['T-1', 'T-2']);
      expect(eventsBehind(l.core)).toBe(0);
    },
    NO_WAIT_TEST_LIMIT_MS,
  );

  it(`waits its turn once it has been behind for ${MAX_QUEUE_LAG_MS} ms`, () => {
    const clock = manualClock();
    // A short busy timeout: the wait shows as SQLITE_BUSY once it runs out (the lock stays held).
    const l = tempLedger({ clock, busyTimeoutMs: 100 });
    l.createTask({ title: 'first' }, 'cli');
    const lock = holdWriteLock(l);
    try {
      expect(l.outbox.due('main', 10)).toEqual([]);
      clock.advance(MAX_QUEUE_LAG_MS - 1);
      expect(l.outbox.due('main', 10)).toEqual([]);
      clock.advance(1);
      expect(() => l.outbox.due('main', 10)).toThrow(/locked|busy/i);
      expect(busyTimeout(l)).toBe(100);
    } finally {
      lock.release();
    }
    expect(l.outbox.due('main', 10).map((r) => r.taskId)).toEqual(['T-1']);
    // Caught up: the lag is counted afresh from the next time the lock is in the way.
    l.createTask({ title: 'second' }, 'cli');
    const again = holdWriteLock(l);
    try {
      expect(l.outbox.due('main', 10).map((r) => r.taskId)).toEqual(['T-1']);
    } finally {
      again.release();
    }
  });

  it('counts the complete backlog for a drain, waiting for the lock if it must', () => {
    const l = tempLedger({ busyTimeoutMs: 100 });
    l.createTask({ title: 'first' }, 'cli');
    const lock = holdWriteLock(l);
    try {
      expect(() => l.outbox.pendingCount('main')).toThrow(/locked|busy/i);
    } finally {
      lock.release();
    }
    expect(l.outbox.pendingCount('main')).toBe(1);
  });
});
