import { runScheduleChaos } from '../test/support/schedule-chaos.ts';
import { benchDir, report } from './bench-util.ts';

/**
 * `npm run bench -- schedule-chaos [--restarts 200]`: SIGKILLs a real `chat-swarm up` running a
 * per-second schedule (missed=all) again and again, then checks that every slot of the window has
 * exactly one task. Exits non-zero when one is missing or doubled.
 */
export async function runScheduleChaosBench(restarts: number): Promise<void> {
  const { dir, remove } = benchDir();
  try {
    const r = await runScheduleChaos(dir, restarts, (i) => {
      if (i > 0 && i % 20 === 0) process.stdout.write(`  ${i} restarts…\n`);
    });
    const ok =
      r.missing.length === 0 && r.extra.length === 0 && r.doubleFired === 0 && r.chainProblems.length === 0;
    report(
      'schedule chaos (kill -9 of chat-swarm up, per-second schedule, missed=all)',
      `${r.restarts} restarts in ${(r.elapsedMs / 1000).toFixed(0)} s: ${r.slots} slots, ${r.tasks} tasks, ` +
        `${r.missing.length} missing, ${r.extra.length + r.doubleFired} doubled, ${r.chainProblems.length} chain problems — ${ok ? 'OK' : 'FAILED'}`,
      `npm run bench -- schedule-chaos --restarts ${restarts}`,
    );
    if (!ok) process.exitCode = 1;
  } finally {
    remove();
  }
}
