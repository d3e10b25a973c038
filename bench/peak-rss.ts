import { execFileSync } from 'node:child_process';
import { benchDir, report } from './bench-util.ts';
import { buildFirst } from './build-first.ts';

/**
 * Peak RSS of a process holding a ledger of `count` tasks, measured in a fresh child process that
 * runs the compiled code (dist/, built first), as the installed command does.
 */
export async function runRssBench(count: number): Promise<void> {
  buildFirst();
  const { dir, remove } = benchDir();
  try {
    const out = execFileSync(process.execPath, ['bench/processes/rss-probe.mjs', dir, String(count)], {
      encoding: 'utf8',
    });
    const { tasks, maxRssKb } = JSON.parse(out.trim().split('\n').pop()!) as {
      tasks: number;
      maxRssKb: number;
    };
    report(
      `peak RSS with ${tasks} tasks in the ledger (create, 1,000 claims, board, audit)`,
      `${(maxRssKb / 1024).toFixed(0)} MiB`,
      `npm run bench -- rss --tasks ${count}`,
    );
  } finally {
    remove();
  }
}
