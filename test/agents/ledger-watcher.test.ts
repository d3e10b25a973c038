import { writeFileSync } from 'node:fs';
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
      expect(marks.mock.calls.length).toBeLessThan(10);
    } finally {
      stop();
    }
  });
});
