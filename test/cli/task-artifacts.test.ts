import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { artifactsOf } from '../../src/cli/cmd-task-artifacts.ts';
import { main } from '../../src/cli/main.ts';
import type { SwarmEvent } from '../../src/core/types.ts';
import { Ledger } from '../../src/ledger/ledger.ts';
import { tempDir } from '../support/temp-ledger.ts';
import { fakeIo } from './cli-process.ts';

const event = (type: string, data: Record<string, unknown>): SwarmEvent => ({
  seq: 1,
  at: 0,
  type,
  taskId: 'T-1',
  agentId: 'a',
  actor: 'a',
  data,
  prevHash: '',
  hash: '',
});

describe('task artifacts: reading the records', () => {
  it('takes plain paths and {name, path, bytes|size, sha256} records from done and review events', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'plain.txt'), 'hello');
    const entries = artifactsOf(
      [
        event('task_progress', { artifacts: ['ignored.txt'] }),
        event('task_review', { attempt: 1, artifacts: [join(dir, 'plain.txt')] }),
        event('task_done', {
          attempt: 2,
          artifacts: [
            { name: 'report.md', path: join(dir, 'stored', 'abc'), bytes: 12, sha256: 'ff' },
            { name: 'rel.txt', path: 'rel.txt', size: 3 },
            42,
            { name: 'no-path' },
          ],
        }),
      ],
      dir,
    );
    expect(entries).toEqual([
      { name: 'plain.txt', path: join(dir, 'plain.txt'), size: 5, sha256: null, attempt: 1, present: true },
      {
        name: 'report.md',
        path: join(dir, 'stored', 'abc'),
        size: 12,
        sha256: 'ff',
        attempt: 2,
        present: false,
      },
      { name: 'rel.txt', path: join(dir, 'rel.txt'), size: 3, sha256: null, attempt: 2, present: false },
    ]);
  });
});

describe('task artifacts: the command', () => {
  function doneWithArtifact(): { db: string; dir: string; file: string } {
    const dir = tempDir();
    const db = join(dir, 'swarm.db');
    const attemptDir = join(dir, 'work', 'tasks', 'T-1', 'attempt-1');
    mkdirSync(attemptDir, { recursive: true });
    const file = join(attemptDir, 'logo.svg');
    writeFileSync(file, '<svg/>');
    const ledger = Ledger.open(db, { synchronous: 'normal' });
    ledger.registerAgent({ id: 'designer-001', skills: [], capacity: 1 });
    ledger.createTask({ title: 'logo' }, 'test');
    const claim = ledger.claimNext({ id: 'designer-001', skills: [] });
    if (claim.kind !== 'claimed') throw new Error('setup: no claim');
    ledger.complete({ taskId: 'T-1', attempt: claim.attempt, agentId: 'designer-001' }, 'drawn', [
      { name: 'logo.svg', path: file, bytes: 6, sha256: createHash('sha256').update('<svg/>').digest('hex') },
    ]);
    ledger.createTask({ title: 'bare' }, 'test');
    ledger.close();
    return { db, dir, file };
  }

  it('lists them as text and JSON', async () => {
    const { db, file } = doneWithArtifact();
    const text = fakeIo();
    expect(await main(['task', 'artifacts', 'T-1', '--db', db], text.io)).toBe(0);
    expect(text.stdout()).toBe(
      `logo.svg  6 B  ${file}  sha256 ${createHash('sha256').update('<svg/>').digest('hex')}`,
    );
    const json = fakeIo();
    expect(await main(['task', 'artifacts', '1', '--db', db, '--json'], json.io)).toBe(0);
    expect(JSON.parse(json.stdout())).toMatchObject([
      { name: 'logo.svg', path: file, size: 6, present: true },
    ]);
    const none = fakeIo();
    expect(await main(['task', 'artifacts', 'T-2', '--db', db], none.io)).toBe(0);
    expect(none.stdout()).toBe('T-2 has no artifacts');
  });

  it('copies one out, refusing to overwrite without --force', async () => {
    const { db, dir } = doneWithArtifact();
    const out = join(dir, 'out');
    const first = fakeIo({ cwd: dir });
    expect(
      await main(['task', 'artifacts', 'T-1', '--copy', 'logo.svg', '--to', 'out', '--db', db], first.io),
    ).toBe(0);
    expect(readFileSync(join(out, 'logo.svg'), 'utf8')).toBe('<svg/>');
    writeFileSync(join(out, 'logo.svg'), 'mine');
    const again = fakeIo({ cwd: dir });
    expect(
      await main(['task', 'artifacts', 'T-1', '--copy', 'logo.svg', '--to', out, '--db', db], again.io),
    ).toBe(1);
    expect(again.stderr()).toMatch(/logo.svg exists; pass --force/);
    expect(readFileSync(join(out, 'logo.svg'), 'utf8')).toBe('mine');
    const forced = fakeIo({ cwd: dir });
    expect(
      await main(
        ['task', 'artifacts', 'T-1', '--copy', 'logo.svg', '--to', out, '--force', '--db', db],
        forced.io,
      ),
    ).toBe(0);
    expect(readFileSync(join(out, 'logo.svg'), 'utf8')).toBe('<svg/>');
  });

  it('says what is wrong: unknown name (listing the ones there), a path as a name, --copy without --to, unknown task', async () => {
    const { db, dir } = doneWithArtifact();
    const unknown = fakeIo();
    expect(
      await main(['task', 'artifacts', 'T-1', '--copy', 'x.svg', '--to', dir, '--db', db], unknown.io),
    ).toBe(1);
    expect(unknown.stderr()).toBe('no artifact named x.svg; the task has logo.svg');
    const path = fakeIo();
    expect(
      await main(['task', 'artifacts', 'T-1', '--copy', '../logo.svg', '--to', dir, '--db', db], path.io),
    ).toBe(2);
    const half = fakeIo();
    expect(await main(['task', 'artifacts', 'T-1', '--copy', 'logo.svg', '--db', db], half.io)).toBe(2);
    const task = fakeIo();
    expect(await main(['task', 'artifacts', 'T-9', '--db', db], task.io)).toBe(1);
    expect(task.stderr()).toBe('no task T-9');
  });
});
