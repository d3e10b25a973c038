import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  unlinkSync,
  watch,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LedgerWatcher } from '../../src/agents/ledger-watcher.ts';
import { commitBellPath } from '../../src/ledger/commit-bell.ts';
import type { Ledger } from '../../src/ledger/ledger.ts';
import { ledgerAt, tempDir } from '../support/temp-ledger.ts';
import { waitFor } from '../support/wait-for.ts';

/** Counts the bell's change events (each ring is one write, so one event unless the kernel merges). */
function countRings(path: string): { count: () => number; close: () => void } {
  let n = 0;
  const w = watch(commitBellPath(path), () => n++);
  return { count: () => n, close: () => w.close() };
}

/** A ledger a writer made and closed, its bell then deleted, opened again read-only. */
function readOnlyWithoutBell(): { path: string; readonly: Ledger } {
  const path = join(tempDir(), 'swarm.db');
  const writer = ledgerAt(path);
  writer.createTask({ title: 'made by a writer' }, 'test');
  writer.close();
  unlinkSync(commitBellPath(path));
  return { path, readonly: ledgerAt(path, { readonly: true }) };
}

describe('commit bell', () => {
  it('is rung after a commit that changed something, and not after one that changed nothing', async () => {
    const path = join(tempDir(), 'swarm.db');
    const ledger = ledgerAt(path);
    ledger.createTask({ title: 'first' }, 'test');
    expect(readFileSync(commitBellPath(path), 'utf8')).toBe('1');
    const rings = countRings(path);
    try {
      ledger.transaction(() => ledger.listTasks());
      await new Promise((r) => setTimeout(r, 100));
      expect(rings.count()).toBe(0);
      ledger.createTask({ title: 'second' }, 'test');
      await waitFor('the ring', () => rings.count() > 0, 5_000, 1);
      // Always the same byte: the file does not grow.
      expect(statSync(commitBellPath(path)).size).toBe(1);
    } finally {
      rings.close();
    }
  });

  it('rings once for a write with nested writes (savepoints), after the outermost commits', async () => {
    const path = join(tempDir(), 'swarm.db');
    const ledger = ledgerAt(path);
    ledger.createTask({ title: 'first' }, 'test');
    const rings = countRings(path);
    try {
      const mtime = () => statSync(commitBellPath(path), { bigint: true }).mtimeNs;
      const before = mtime();
      let inside: bigint | undefined;
      ledger.transaction(() => {
        ledger.createTask({ title: 'a' }, 'test');
        ledger.createTask({ title: 'b' }, 'test');
        inside = mtime();
      });
      // Not written before the commit (the nested writes' savepoints ring nothing), written after.
      expect(inside).toBe(before);
      await waitFor('the ring', () => rings.count() > 0, 5_000, 1);
      await new Promise((r) => setTimeout(r, 100));
      expect(rings.count()).toBe(1);
    } finally {
      rings.close();
    }
  });

  it('never fails a commit: a bell that cannot be written is skipped', () => {
    const path = join(tempDir(), 'swarm.db');
    // A folder where the bell should be: opening it for writing fails (EISDIR).
    mkdirSync(commitBellPath(path));
    const ledger = ledgerAt(path);
    const { task } = ledger.createTask({ title: 'committed anyway' }, 'test');
    expect(ledger.getTask(task.id)?.title).toBe('committed anyway');
    rmSync(commitBellPath(path), { recursive: true });
  });

  it('a writer holding a deleted bell rings a new one at the path within about a second', async () => {
    const path = join(tempDir(), 'swarm.db');
    const ledger = ledgerAt(path);
    ledger.createTask({ title: 'opens the bell' }, 'test');
    unlinkSync(commitBellPath(path));
    let i = 0;
    await waitFor(
      'a bell at the path again',
      () => {
        ledger.createTask({ title: `ring ${i++}` }, 'test');
        return existsSync(commitBellPath(path));
      },
      5_000,
      50,
    );
  });

  it('a read-only or in-memory ledger makes no bell', () => {
    const { path, readonly } = readOnlyWithoutBell();
    readonly.listTasks();
    expect(existsSync(commitBellPath(path))).toBe(false);
    const memory = ledgerAt(':memory:');
    memory.createTask({ title: 'in memory' }, 'test');
    expect(existsSync(commitBellPath(':memory:'))).toBe(false);
  });

  it('a FIFO at the bell path neither blocks nor fails a commit, nor a watcher', async () => {
    const path = join(tempDir(), 'swarm.db');
    execFileSync('mkfifo', [commitBellPath(path)]);
    // An open for writing would wait for a reader forever, on the event loop.
    const ledger = ledgerAt(path);
    const { task } = ledger.createTask({ title: 'committed' }, 'test');
    expect(ledger.getTask(task.id)?.status).toBe('queued');
    const watcher = new LedgerWatcher(ledger, { minPollMs: 5, maxPollMs: 5 });
    let calls = 0;
    const stop = watcher.subscribe(() => calls++);
    try {
      ledgerAt(path).createTask({ title: 'seen by the poll' }, 'test');
      await waitFor('the poll to see it', () => calls > 0, 5_000, 5);
    } finally {
      stop();
    }
  });

  it('a link planted at the bell path is not followed: its target keeps its bytes and its mode', () => {
    const dir = tempDir();
    const path = join(dir, 'swarm.db');
    const victim = join(dir, 'victim.txt');
    writeFileSync(victim, 'ssh-ed25519 AAAA');
    chmodSync(victim, 0o644);
    symlinkSync(victim, commitBellPath(path));
    const ledger = ledgerAt(path);
    ledger.createTask({ title: 'rings nothing' }, 'test');
    ledger.createTask({ title: 'still nothing' }, 'test');
    expect(readFileSync(victim, 'utf8')).toBe('ssh-ed25519 AAAA');
    expect(statSync(victim).mode & 0o777).toBe(0o644);
    // A dangling link does not get its target made either.
    const other = join(dir, 'other.db');
    symlinkSync(join(dir, 'made-by-the-ring'), commitBellPath(other));
    ledgerAt(other).createTask({ title: 'x' }, 'test');
    expect(existsSync(join(dir, 'made-by-the-ring'))).toBe(false);
  });

  it.runIf(process.getuid?.() === 0)("a bell made by root belongs to the ledger file's owner", () => {
    const path = join(tempDir(), 'swarm.db');
    ledgerAt(path).close();
    rmSync(commitBellPath(path), { force: true });
    chownSync(path, 65534, 65534);
    ledgerAt(path).createTask({ title: 'by root' }, 'test');
    const bell = statSync(commitBellPath(path));
    expect([bell.uid, bell.gid]).toEqual([65534, 65534]);
  });

  it('a watcher on a read-only ledger makes no bell', async () => {
    const { path, readonly } = readOnlyWithoutBell();
    const stop = new LedgerWatcher(readonly).subscribe(() => {});
    await new Promise((r) => setTimeout(r, 50));
    stop();
    expect(existsSync(commitBellPath(path))).toBe(false);
  });
});
