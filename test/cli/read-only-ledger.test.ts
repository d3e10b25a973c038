import { createHash } from 'node:crypto';
import { chmodSync, chownSync, cpSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Ledger } from '../../src/ledger/ledger.ts';
import { collect } from '../support/spawn-ts.ts';
import { tempDir } from '../support/temp-ledger.ts';
import { spawnCliIn } from './cli-process.ts';

// Root may write anything: as root, the CLI runs as nobody over files handed to nobody.
const isRoot = process.getuid?.() === 0;
const NOBODY = { uid: 65534, gid: 65534 };
const user = isRoot ? NOBODY : undefined;

const writable: string[] = [];
afterEach(() => {
  // Let the temp folders be removed again.
  for (const path of writable.splice(0)) chmodSync(path, 0o755);
});

/** Hands `dir` and everything in it to the user the CLI runs as, then makes the files read-only. */
function readOnly(dir: string, options: { folderToo: boolean }): void {
  for (const name of readdirSync(dir)) {
    if (isRoot) chownSync(join(dir, name), NOBODY.uid, NOBODY.gid);
    chmodSync(join(dir, name), 0o444);
  }
  if (isRoot) chownSync(dir, NOBODY.uid, NOBODY.gid);
  chmodSync(dir, options.folderToo ? 0o555 : 0o755);
  writable.push(dir);
}

/** A ledger with a done task that attached a file and a blocked task, closed cleanly (no -wal, no -shm). */
function closedLedger(): { dir: string; db: string } {
  const dir = tempDir();
  const db = join(dir, 'swarm.db');
  const ledger = Ledger.open(db, { synchronous: 'normal' });
  fill(ledger, dir);
  ledger.close();
  return { dir, db };
}

function fill(ledger: Ledger, dir: string): void {
  ledger.registerAgent({ id: 'a-1', skills: [], capacity: 2 });
  ledger.createTask({ title: 'finished' }, 'test');
  ledger.createTask({ title: 'asks' }, 'test');
  const one = ledger.claimTask('T-1', { id: 'a-1', skills: [] });
  const two = ledger.claimTask('T-2', { id: 'a-1', skills: [] });
  if (one.kind !== 'claimed' || two.kind !== 'claimed') throw new Error('setup: no claim');
  mkdirSync(join(dir, 'files'));
  writeFileSync(join(dir, 'files', 'out.txt'), 'out');
  ledger.complete({ taskId: 'T-1', attempt: one.attempt, agentId: 'a-1' }, 'all done', [
    { name: 'out.txt', path: join(dir, 'files', 'out.txt'), bytes: 3, sha256: sha256Of('out') },
  ]);
  ledger.ask({ taskId: 'T-2', attempt: two.attempt, agentId: 'a-1' }, 'which?');
}

const run = (cwd: string, args: string[]) =>
  collect(spawnCliIn(cwd, args, { env: { HOME: cwd, USER: 'tester' }, ...(user ? { user } : {}) }));

const READS: string[][] = [
  ['status', '--json'],
  ['task', 'list'],
  ['task', 'show', 'T-1'],
  ['task', 'wait', 'T-1', 'T-2', '--until-person'],
  ['task', 'artifacts', 'T-1'],
  ['export'],
];
const WRITES: string[][] = [['task', 'add', 'more'], ['task', 'answer', 'T-2', 'this one'], ['pause']];

describe('a read-only ledger: read commands work, write commands name the path to make writable', () => {
  it('in a read-only folder after a clean close (no -shm to share): reads work, audit runs, writes exit 3', async () => {
    const { dir, db } = closedLedger();
    readOnly(dir, { folderToo: true });
    for (const args of READS) {
      const r = await run(dir, [...args, '--db', db]);
      expect([r.code, r.stderr], args.join(' ')).toEqual([args[1] === 'wait' ? 6 : 0, '']);
    }
    const status = await run(dir, ['status', '--json', '--db', db]);
    expect(JSON.parse(status.stdout)).toMatchObject({ db, counts: { done: 1, blocked: 1 } });
    const audit = await run(dir, ['audit', '--db', db]);
    expect(audit.stdout).toMatch(/audited/);
    expect(audit.stderr).not.toMatch(/readonly|unable to open/);
    for (const args of WRITES) {
      const r = await run(dir, [...args, '--db', db]);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(3);
      expect(r.stderr).toContain(`cannot write the ledger ${db}`);
      expect(r.stderr).toContain(`the file and its folder ${dir} must be writable`);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
  }, 120_000);

  it('a read-only file in a writable folder: reads work, a write exits 3 naming the path', async () => {
    const { dir, db } = closedLedger();
    readOnly(dir, { folderToo: false });
    const list = await run(dir, ['task', 'list', '--db', db]);
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).toContain('finished');
    const add = await run(dir, ['task', 'add', 'more', '--db', db]);
    expect(add.code).toBe(3);
    expect(add.stderr).toContain(`cannot write the ledger ${db}`);
  }, 60_000);

  it('a read-only folder while a writer still has it open (-wal and -shm there): reads see the latest commits', async () => {
    const live = tempDir();
    const ledger = Ledger.open(join(live, 'swarm.db'), { synchronous: 'normal' });
    fill(ledger, live);
    const copy = tempDir();
    cpSync(live, copy, { recursive: true });
    ledger.close();
    expect(readdirSync(copy)).toEqual(expect.arrayContaining(['swarm.db-wal', 'swarm.db-shm']));
    readOnly(copy, { folderToo: true });
    const r = await run(copy, ['task', 'show', 'T-2', '--json', '--db', join(copy, 'swarm.db')]);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ task: { status: 'blocked', question: 'which?' } });
  }, 60_000);
});

function sha256Of(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
