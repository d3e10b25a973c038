// The schedule chaos run shared by the test (about 20 restarts) and `npm run bench -- schedule-chaos`
// (200): a real `chat-swarm up` with a per-second schedule, killed with SIGKILL again and again.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { slotTaskKey } from '../../src/core/schedule-key.ts';
import { Ledger } from '../../src/ledger/ledger.ts';
import { collect, spawnCli } from './spawn-ts.ts';
import { waitFor } from './wait-for.ts';

export interface ChaosResult {
  restarts: number;
  /** Slots in the window, from the schedule's creation to its last handled slot. */
  slots: number;
  tasks: number;
  /** Slots with no task (must be none under missed=all with a high cap). */
  missing: string[];
  /** Tasks that are not a slot of the window, and slots fired more than once (must be none). */
  extra: string[];
  doubleFired: number;
  chainProblems: string[];
  elapsedMs: number;
}

/** Runs the chaos: `restarts` SIGKILLs of `chat-swarm up`, then one clean stop; reports what the ledger holds. */
export async function runScheduleChaos(
  dir: string,
  restarts: number,
  onRestart: (i: number) => void = () => undefined,
): Promise<ChaosResult> {
  const started = Date.now();
  const db = join(dir, 'swarm.db');
  const config = join(dir, 'chat-swarm.json');
  writeFileSync(
    config,
    JSON.stringify({
      db,
      workDir: join(dir, 'work'),
      channel: { platform: 'console', admin: true },
      ledger: { synchronous: 'normal' },
      schedules: [
        {
          id: 'chaos',
          cron: '* * * * * *',
          timezone: 'UTC',
          missed: 'all:100000',
          overlap: 'allow',
          task: { title: 'tick' },
        },
      ],
    }),
  );
  const reader = Ledger.open(db, { synchronous: 'normal' });
  const fires = (): number =>
    (reader.db.prepare('SELECT COUNT(*) AS n FROM schedule_fires').get() as { n: number }).n;
  let seed = 12_345;
  const random = (): number => (seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648) / 2_147_483_648;
  try {
    for (let i = 0; i <= restarts; i++) {
      onRestart(i);
      const before = fires();
      const child = spawnCli(['up', '--config', config, '--db', db], { SWARM_LOG_LEVEL: 'error' });
      const exited = collect(child);
      const last = i === restarts;
      // Mostly kill after it fired something; every fourth time at a random moment, even during start.
      if (last || i % 4 !== 3) await waitFor(`run ${i} to fire a slot`, () => fires() > before, 60_000, 20);
      await new Promise((r) => setTimeout(r, Math.floor(random() * 700)));
      child.kill(last ? 'SIGTERM' : 'SIGKILL');
      const result = await exited;
      if (last && result.code !== 0) throw new Error(`the clean stop failed: ${result.stderr}`);
    }
    const schedule = reader.getSchedule('chaos');
    const added = reader.events().find((e) => e.type === 'schedule_added');
    if (!schedule || !added) throw new Error('the schedule was never added from the config');
    const expected = new Set<string>();
    for (let t = Math.floor(added.at / 1_000) * 1_000 + 1_000; t <= schedule.cursor_at; t += 1_000)
      expected.add(slotTaskKey('chaos', t));
    const tasks = reader
      .listTasks()
      .map((t) => t.id)
      .filter((id) => id.startsWith('sch.chaos.'));
    const slotRows = reader.db
      .prepare("SELECT COUNT(*) AS n, COUNT(DISTINCT slot_at) AS d FROM schedule_fires WHERE kind = 'slot'")
      .get() as { n: number; d: number };
    return {
      restarts,
      slots: expected.size,
      tasks: tasks.length,
      missing: [...expected].filter((k) => !tasks.includes(k)),
      extra: tasks.filter((k) => !expected.has(k)),
      doubleFired: slotRows.n - slotRows.d,
      chainProblems: reader
        .audit()
        .problems.filter((p) => p.kind === 'chain')
        .map((p) => p.problem),
      elapsedMs: Date.now() - started,
    };
  } finally {
    reader.close();
  }
}
