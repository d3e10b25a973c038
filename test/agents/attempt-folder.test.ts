import { existsSync, mkdirSync, readdirSync, statSync, symlinkSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AgentRuntime } from '../../src/agents/agent-runtime.ts';
import {
  AttemptFolderError,
  createAttemptFolder,
  isInside,
  toFolderSegment,
} from '../../src/agents/attempt-folder.ts';
import { createFunctionWorker } from '../../src/agents/function-worker.ts';
import { silentLogger } from '../../src/core/logger.ts';
import { tempDir, tempLedger } from '../support/temp-ledger.ts';
import { waitFor } from '../support/wait-for.ts';

const running: AgentRuntime[] = [];
afterEach(async () => {
  while (running.length) await running.pop()!.stop();
});

describe('attempt folders', () => {
  it('turns any task id into one safe folder name, never . or .. or a path, and never the same for two ids', () => {
    expect(toFolderSegment('T-17')).toBe('T-17');
    expect(toFolderSegment('v1.2')).toBe('v1.2');
    expect(toFolderSegment('..')).toBe('%2E.');
    expect(toFolderSegment('.')).toBe('%2E');
    expect(toFolderSegment('../x')).toBe('%2E.%2Fx');
    expect(toFolderSegment('a/b')).toBe('a%2Fb');
    expect(toFolderSegment('')).toBe('%');
    const ids = [
      '..',
      '.',
      '../x',
      '%2E.',
      'a/b',
      'a%2Fb',
      'a_b',
      'ü',
      '\u0000',
      'x'.repeat(300),
      'x'.repeat(301),
    ];
    const names = ids.map(toFolderSegment);
    expect(new Set(names).size).toBe(ids.length);
    for (const name of names) {
      expect(name).toMatch(/^[A-Za-z0-9_%~-][A-Za-z0-9_.%~-]*$/);
      expect(name.length).toBeLessThanOrEqual(120);
    }
  });

  it('creates the folder inside the root for hostile ids, 0700', () => {
    const root = join(tempDir(), 'tasks');
    for (const id of ['..', '../..', '../x', '/etc', 'a/../../b', '.hidden']) {
      const dir = createAttemptFolder(root, id, 1);
      expect(isInside(resolve(root), dir), id).toBe(true);
      expect(statSync(dir).mode & 0o777).toBe(0o700);
    }
    expect(readdirSync(join(root, '..'))).toEqual(['tasks']);
  });

  it('refuses a task folder that was replaced by a symbolic link to elsewhere', () => {
    const base = tempDir();
    const root = join(base, 'tasks');
    mkdirSync(root);
    mkdirSync(join(base, 'elsewhere'));
    symlinkSync(join(base, 'elsewhere'), join(root, 'T-9'));
    expect(() => createAttemptFolder(root, 'T-9', 1)).toThrow(AttemptFolderError);
    expect(() => createAttemptFolder(root, 'T-9', 1)).toThrow(/symbolic link/);
    expect(existsSync(join(base, 'elsewhere', 'attempt-1'))).toBe(false);
  });

  it('runs a task keyed .. inside the work root, and fails an attempt whose folder is a link with a clear error', async () => {
    const ledger = tempLedger({ retryBaseMs: 60_000 });
    const base = tempDir();
    const workRoot = join(base, 'tasks');
    const seen: string[] = [];
    const a = new AgentRuntime(ledger, {
      id: 'a1',
      skills: [],
      capacity: 1,
      worker: createFunctionWorker((ctx) => {
        seen.push(ctx.workDir);
        return 'ok';
      }),
      workRoot,
      log: silentLogger,
    });
    // The ledger refuses such a key now; a ledger written before it did may still hold one.
    ledger.createTask({ title: 'dot dot', key: 'dotdot' }, 'test');
    ledger.db.prepare("UPDATE tasks SET id = '..' WHERE id = 'dotdot'").run();
    a.start();
    running.push(a);
    await waitFor('done', () => ledger.getTask('..')?.status === 'done');
    expect(isInside(workRoot, seen[0]!)).toBe(true);
    expect(seen[0]).toBe(join(workRoot, '%2E.', 'attempt-1'));

    mkdirSync(join(base, 'elsewhere'));
    symlinkSync(join(base, 'elsewhere'), join(workRoot, 'T-2'));
    ledger.createTask({ title: 'linked', maxAttempts: 1 }, 'test');
    await waitFor('failed', () => ledger.getTask('T-2')?.status === 'failed');
    expect(ledger.getTask('T-2')!.lastError).toMatch(/no safe working folder: .*symbolic link/);
    expect(seen).toHaveLength(1);
  });
});
