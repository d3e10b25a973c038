// One worker process of the peers benchmark's multi-process runs: opens the shared file for its
// contestant, says `ready`, waits for `go` on stdin, works until the queue is empty, and prints
// what it did as one JSON line; then stays until its stdin ends. Agents are long-running: eight
// processes exiting at once would take the CPU from whoever is still on the clock (the process
// queueing chat-swarm's channel rows).
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { benchDir } from '../bench-util.ts';
import { CONTESTANTS, prepare, seedJobs, type Contestant, type Sync } from '../peer-contestants.ts';

const [contestant, dbPath, sync, agentId] = process.argv.slice(2);
if (
  !CONTESTANTS.includes(contestant as Contestant) ||
  !dbPath ||
  (sync !== 'full' && sync !== 'normal') ||
  !agentId
)
  throw new Error('usage: peer-worker <ours|ours-split|plainjob> <db> <full|normal> <agent-id>');

/** Jobs each worker runs on a scratch file of its own before it says `ready`. */
const WARM_UP_JOBS = 300;

/**
 * Runs the contestant's own loop on a scratch file first, untimed: agents are long-running, and the
 * single-process runs (one bench process, round after round) are compiled by their timed rounds too.
 * Started cold, each process that took the lock ran its first jobs interpreted, and ours has more
 * code to compile than plainjob.
 */
async function warmUp(c: Contestant, s: Sync): Promise<void> {
  const { dir, remove } = benchDir();
  try {
    const path = join(dir, 'warm-up.db');
    seedJobs(c, path, s, WARM_UP_JOBS);
    const scratch = prepare(c, path, s, { agentId: `${agentId}-warm-up`, commits: 0 });
    try {
      await scratch.run();
    } finally {
      scratch.close();
    }
  } finally {
    remove();
  }
}

await warmUp(contestant as Contestant, sync);
const prepared = prepare(contestant as Contestant, dbPath, sync, { agentId, commits: 0 });
process.stdout.write(`ready ${JSON.stringify(prepared.pragmas)}\n`);
const lines = createInterface({ input: process.stdin });
let started = false;
lines.on('line', () => {
  if (started) return;
  started = true;
  void prepared.run().then(
    (done) => {
      prepared.close();
      process.stdout.write(`${JSON.stringify(done)}\n`);
    },
    (err: unknown) => {
      process.stderr.write(`peer-worker ${agentId}: ${String(err)}\n`);
      process.exitCode = 1;
    },
  );
});
