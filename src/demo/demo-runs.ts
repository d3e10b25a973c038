import { readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { commitBellPath } from '../ledger/commit-bell.ts';

/** How many demo runs (ledger and work folder) the demo keeps; older ones are deleted. */
export const DEMO_RUNS_KEPT = 5;

/** One demo run: its ledger and the work folder its agents used. */
export interface DemoRun {
  dbPath: string;
  /** The run's own work folder (older versions shared the work root: none then). */
  workDir: string | undefined;
  /** When it was last written to. */
  mtimeMs: number;
}

const RUN_FILE = /^demo-[0-9TZ-]+\.db$/;

/** The one folder every demo run lives in: `<workDir>/demo`. */
export const demoRunsDir = (workRoot: string): string => join(workRoot, 'demo');

/** A new run's paths, named by its start time so names sort oldest first. */
export function newDemoRun(workRoot: string, now: Date = new Date()): { dbPath: string; workDir: string } {
  const name = `demo-${now.toISOString().replace(/[:.]/g, '-')}`;
  const dir = demoRunsDir(workRoot);
  return { dbPath: join(dir, `${name}.db`), workDir: join(dir, name) };
}

const mtimeOf = (path: string): number | undefined => {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return undefined;
  }
};

/**
 * The demo runs under `workRoot`, oldest first: those in `<workRoot>/demo/` and the loose
 * `<workRoot>/demo-*.db` ledgers older versions left.
 */
export function listDemoRuns(workRoot: string): DemoRun[] {
  const runs: DemoRun[] = [];
  const scan = (dir: string, ownFolders: boolean): void => {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      return;
    }
    for (const name of names.filter((n) => RUN_FILE.test(n)).sort()) {
      const dbPath = join(dir, name);
      const mtimeMs = Math.max(mtimeOf(dbPath) ?? 0, mtimeOf(`${dbPath}-wal`) ?? 0);
      runs.push({ dbPath, workDir: ownFolders ? dbPath.slice(0, -'.db'.length) : undefined, mtimeMs });
    }
  };
  scan(workRoot, false);
  scan(demoRunsDir(workRoot), true);
  return runs;
}

/** Deletes a run's ledger, its -wal, -shm and commit bell, and its work folder. */
export function removeDemoRun(run: DemoRun): void {
  for (const file of [run.dbPath, `${run.dbPath}-wal`, `${run.dbPath}-shm`, commitBellPath(run.dbPath)])
    rmSync(file, { force: true });
  if (run.workDir) rmSync(run.workDir, { recursive: true, force: true });
}

/**
 * Deletes demo runs beyond the newest `keep`, and (with `olderThanMs`) any not written to since then;
 * returns those it deleted (or would, with `dryRun`).
 */
export function pruneDemoRuns(
  workRoot: string,
  options: { keep?: number; olderThanMs?: number; now?: number; dryRun?: boolean },
): DemoRun[] {
  const runs = listDemoRuns(workRoot);
  const now = options.now ?? Date.now();
  const keepFrom = options.keep === undefined ? 0 : Math.max(0, runs.length - options.keep);
  const old = runs.filter(
    (run, i) =>
      i < keepFrom || (options.olderThanMs !== undefined && now - run.mtimeMs > options.olderThanMs),
  );
  if (!options.dryRun) for (const run of old) removeDemoRun(run);
  return old;
}
