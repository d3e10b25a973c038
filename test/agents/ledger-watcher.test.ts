import { appendFileSync, existsSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { LedgerWatcher } from '../../src/agents/ledger-watcher.ts';
import { commitBellPath } from '../../src/ledger/commit-bell.ts';
import { ledgerAt, tempDir } from '../support/temp-ledger.ts';
import { waitFor } from '../support/wait-for.ts';

describe('ledger watcher', () => {
  it('tells its listeners about a commit made through another connection, woken by its bell', async () => {
    const path = join(tempDir(), 'swarm.db');
    const watched = ledgerAt(path);
    const other = ledgerAt(path);
    // A poll far beyond the test's wait: only the bell can tell the watcher in time.
    const watcher = new LedgerWatcher(watched, { minPollMs: 60_000, maxPollMs: 60_000 });
    let calls = 0;
    const stop = watcher.subscribe(() => calls++);
    try {
      other.createTask({ title: 'from elsewhere' }, 'test');
      await waitFor('the watcher to see the commit', () => calls === 1, 5_000, 1);
      other.createTask({ title: 'and another' }, 'test');
      await waitFor('the watcher to see the second commit', () => calls === 2, 5_000, 1);
    } finally {
      stop();
    }
  });

  it('does not wake on the WAL writes of a commit, only on its bell', async () => {
    const path = join(tempDir(), 'swarm.db');
    const watched = ledgerAt(path);
    const watcher = new LedgerWatcher(watched, { minPollMs: 60_000, maxPollMs: 60_000 });
    const marks = vi.spyOn(watched, 'changeMark');
    const stop = watcher.subscribe(() => {});
    try {
      // The folder's other files, the WAL among them: a folder watch would wake on each.
      for (let i = 0; i < 20; i++) appendFileSync(`${path}-wal`, 'x');
      writeFileSync(`${path}-other`, 'x');
      await new Promise((r) => setTimeout(r, 100));
      expect(marks.mock.calls.length).toBe(0);
      appendFileSync(commitBellPath(path), '1');
      await waitFor('the look after the ring', () => marks.mock.calls.length === 1, 5_000, 1);
    } finally {
      stop();
    }
  });

  it('checks once for several rings in one turn, not once per ring', async () => {
    const path = join(tempDir(), 'swarm.db');
    const watched = ledgerAt(path);
    const writer = ledgerAt(path);
    const watcher = new LedgerWatcher(watched, { minPollMs: 60_000, maxPollMs: 60_000 });
    const marks = vi.spyOn(watched, 'changeMark');
    let calls = 0;
    const stop = watcher.subscribe(() => calls++);
    try {
      for (let i = 0; i < 40; i++) writer.createTask({ title: `t${i}` }, 'test');
      await waitFor('the commits to be seen', () => calls === 1, 5_000, 1);
      await new Promise((r) => setTimeout(r, 100));
      // The kernel may deliver the forty rings in a few reads; never one look each.
      expect(marks.mock.calls.length).toBeLessThan(5);
    } finally {
      stop();
    }
  });

  it('watches the bell again after it is deleted', async () => {
    const path = join(tempDir(), 'swarm.db');
    const watched = ledgerAt(path);
    const watcher = new LedgerWatcher(watched, { minPollMs: 60_000, maxPollMs: 60_000 });
    let calls = 0;
    const stop = watcher.subscribe(() => calls++);
    try {
      ledgerAt(path).createTask({ title: 'before' }, 'test');
      await waitFor('the first commit', () => calls === 1, 5_000, 1);
      unlinkSync(commitBellPath(path));
      // The watcher makes a new bell and watches it about a second later.
      await waitFor('a new bell', () => existsSync(commitBellPath(path)), 5_000, 10);
      await new Promise((r) => setTimeout(r, 50));
      // A process started since rings the new file (one that held the old finds out: commit-bell.test.ts).
      ledgerAt(path).createTask({ title: 'after the new bell' }, 'test');
      await waitFor('the commit, seen through the new bell', () => calls === 2, 5_000, 1);
    } finally {
      stop();
    }
  });
});
