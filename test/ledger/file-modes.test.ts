import { chmodSync, existsSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { commitBellPath } from '../../src/ledger/commit-bell.ts';
import { Ledger } from '../../src/ledger/ledger.ts';
import { tempDir } from '../support/temp-ledger.ts';

const modeOf = (path: string): number => statSync(path).mode & 0o777;

let savedUmask = 0;
beforeEach(() => {
  // The usual shell umask: files 0644, folders 0755 unless the swarm says otherwise.
  savedUmask = process.umask(0o022);
});
afterEach(() => {
  process.umask(savedUmask);
});

describe('ledger file modes', () => {
  it('creates the ledger, its -wal, its -shm and its commit bell 0600 under umask 022', () => {
    const path = join(tempDir(), 'swarm.db');
    const ledger = Ledger.open(path);
    try {
      ledger.createTask({ title: 'private' }, 'cli');
      expect(existsSync(`${path}-wal`)).toBe(true);
      expect(existsSync(`${path}-shm`)).toBe(true);
      expect(modeOf(path)).toBe(0o600);
      expect(modeOf(`${path}-wal`)).toBe(0o600);
      expect(modeOf(`${path}-shm`)).toBe(0o600);
      expect(modeOf(commitBellPath(path))).toBe(0o600);
      // A second connection (another agent process) does not loosen anything.
      const other = Ledger.open(path);
      other.createTask({ title: 'again' }, 'cli');
      other.close();
      expect(modeOf(path)).toBe(0o600);
      expect(modeOf(`${path}-wal`)).toBe(0o600);
    } finally {
      ledger.close();
    }
  });

  it('tightens a ledger an older version left readable by others', () => {
    const path = join(tempDir(), 'old.db');
    Ledger.open(path).close();
    chmodSync(path, 0o644);
    const ledger = Ledger.open(path);
    ledger.createTask({ title: 'x' }, 'cli');
    expect(modeOf(path)).toBe(0o600);
    expect(modeOf(`${path}-wal`)).toBe(0o600);
    ledger.close();
  });

  it('leaves a read-only open alone and refuses a missing folder with a clear error', () => {
    const dir = tempDir();
    const path = join(dir, 'ro.db');
    writeFileSync(path, '');
    chmodSync(path, 0o644);
    // Read-only: no write, no chmod (the reader may not own the file).
    expect(() => Ledger.open(path, { readonly: true }).close()).not.toThrow();
    expect(modeOf(path)).toBe(0o644);
    expect(() => Ledger.open(join(dir, 'no', 'such', 'swarm.db'))).toThrow(/cannot open ledger/);
  });
});
