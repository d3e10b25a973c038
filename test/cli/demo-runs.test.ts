import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEMO_RUNS_KEPT, listDemoRuns, pruneDemoRuns } from '../../src/demo/demo-runs.ts';
import { collect } from '../support/spawn-ts.ts';
import { tempDir } from '../support/temp-ledger.ts';
import { spawnCliIn } from './cli-process.ts';

/** Fake runs in `<root>/demo`, named for the given years (a ledger, its -wal/-shm/-bell and a folder each). */
function fakeRuns(root: string, years: number[]): string[] {
  const dir = join(root, 'demo');
  mkdirSync(dir, { recursive: true });
  return years.map((year) => {
    const name = `demo-${year}-01-01T00-00-00-000Z`;
    for (const suffix of ['.db', '.db-wal', '.db-shm', '.db-bell'])
      writeFileSync(join(dir, name + suffix), '');
    mkdirSync(join(dir, name, 'tasks'), { recursive: true });
    return join(dir, `${name}.db`);
  });
}

describe('demo runs: one folder, the last few kept', () => {
  it('keeps the newest N runs and deletes the rest with their -wal, -shm, commit bell and work folder', () => {
    const root = tempDir();
    const runs = fakeRuns(root, [2001, 2002, 2003, 2004]);
    const removed = pruneDemoRuns(root, { keep: 2 }).map((r) => r.dbPath);
    expect(removed).toEqual(runs.slice(0, 2));
    expect(listDemoRuns(root).map((r) => r.dbPath)).toEqual(runs.slice(2));
    expect(readdirSync(join(root, 'demo')).sort()).toEqual(
      ['demo-2003-01-01T00-00-00-000Z', 'demo-2004-01-01T00-00-00-000Z'].flatMap((n) => [
        n,
        `${n}.db`,
        `${n}.db-bell`,
        `${n}.db-shm`,
        `${n}.db-wal`,
      ]),
    );
  });

  it(`chat-swarm demo runs in .swarm-work/demo/ and leaves only the last ${DEMO_RUNS_KEPT} runs`, async () => {
    const cwd = tempDir();
    const root = join(cwd, '.swarm-work');
    const old = fakeRuns(root, [2001, 2002, 2003, 2004, 2005, 2006]);
    writeFileSync(join(root, 'demo-2000-01-01T00-00-00-000Z.db'), ''); // left by an older version
    const demo = await collect(spawnCliIn(cwd, ['demo'], { env: { CI: '1' } }));
    expect(demo.code, demo.stderr).toBe(0);
    const runs = listDemoRuns(root).map((r) => r.dbPath);
    expect(runs).toHaveLength(DEMO_RUNS_KEPT);
    expect(runs.slice(0, DEMO_RUNS_KEPT - 1)).toEqual(old.slice(-(DEMO_RUNS_KEPT - 1)));
    const current = runs.at(-1)!;
    expect(current).toMatch(/\.swarm-work\/demo\/demo-\d{4}-.*\.db$/);
    expect(demo.stdout).toContain(`ledger: ${current}`);
    expect(existsSync(join(current.slice(0, -'.db'.length), 'tasks'))).toBe(true);
    expect(existsSync(join(root, 'demo-2000-01-01T00-00-00-000Z.db'))).toBe(false);
  }, 120_000);
});
