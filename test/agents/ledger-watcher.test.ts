import { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { LedgerWatcher } from '../../src/agents/ledger-watcher.ts';
import { Ledger } from '../../src/ledger/ledger.ts';
import { tempDir } from '../support/temp-ledger.ts';
import { waitFor } from '../support/wait-for.ts';

const open: Ledger[] = [];
afterEach(() => {
  while (open.length) open.pop()!.close();
});

function ledgerAt(path: string): Ledger {
  const l = Ledger.open(path);
  open.push(l);
  return l;
}

describe('ledger watcher', () => {
  it('tells its listeners about a commit made through another connection', async () => {
    const path = join(tempDir(), 'swarm.db');
    const watched = ledgerAt(path);
    const other = ledgerAt(path);
    const watcher = new LedgerWatcher(watched);
    let calls = 0;
    const stop = watcher.subscribe(() => calls++);
    try {
      const before = calls;
      other.createTask({ title: 'from elsewhere' }, 'test');
      await waitFor('the watcher to see the commit', () => calls > before, 5_000, 1);
    } finally {
      stop();
    }
  });

  it('sees a commit that becomes visible after its last file event, without waiting for the poll', async () => {
    // A commit's WAL writes come before it is visible (SQLite then updates its shared-memory
    // index, which no file event announces): the watcher's first look finds nothing new.
    const path = join(tempDir(), 'swarm.db');
    writeFileSync(`${path}-wal`, '');
    type Mark = { seq: number; version: number };
    let mark: Mark = { seq: 1, version: 1 };
    let next: Mark | undefined;
    const ledger = {
      path,
      db: { open: true },
      changeMark: (): Mark => {
        const seen = mark;
        if (next) [mark, next] = [next, undefined];
        return seen;
      },
    } as unknown as Ledger;
    // A poll far beyond the test's wait: only the file events' checks can see the commit.
    const watcher = new LedgerWatcher(ledger, { minPollMs: 60_000, maxPollMs: 60_000 });
    let calls = 0;
    const stop = watcher.subscribe(() => calls++);
    try {
      appendFileSync(`${path}-wal`, 'x');
      await waitFor('the first look (everything is new to it)', () => calls === 1, 5_000, 1);
      await new Promise((r) => setTimeout(r, 50));
      next = { seq: 2, version: 2 };
      appendFileSync(`${path}-wal`, 'x'); // one write: one event, seen before `next` shows
      await waitFor('the commit, seen after its last event', () => calls === 2, 2_000, 1);
    } finally {
      stop();
    }
  });

  it('checks once for a burst of file events, not once per event', async () => {
    const dir = tempDir();
    const path = join(dir, 'swarm.db');
    const watched = ledgerAt(path);
    // A slow poll, so the checks counted are the file events' own.
    const watcher = new LedgerWatcher(watched, { minPollMs: 60_000, maxPollMs: 60_000 });
    const marks = vi.spyOn(watched, 'changeMark');
    const stop = watcher.subscribe(() => {});
    try {
      marks.mockClear();
      // 40 distinct events in one turn (distinct names: the kernel merges repeats of one event).
      for (let i = 0; i < 40; i++) writeFileSync(`${path}-probe-${i}`, 'x');
      await waitFor('the events to arrive', () => marks.mock.calls.length > 0, 5_000, 1);
      await new Promise((r) => setTimeout(r, 100));
      // The burst's first event, and one more look once it is over.
      expect(marks.mock.calls.length).toBeLessThan(4);
    } finally {
      stop();
    }
  });
});
