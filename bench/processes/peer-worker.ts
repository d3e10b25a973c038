// One worker process of the peers benchmark's multi-process runs: opens the shared file for its
// contestant, says `ready`, waits for `go` on stdin, works until the queue is empty, and prints
// what it did as one JSON line; then stays until its stdin ends. Agents are long-running: eight
// processes exiting at once would take the CPU from whoever is still on the clock (the process
// queueing chat-swarm's channel rows).
import { createInterface } from 'node:readline';
import { CONTESTANTS, prepare, type Contestant } from '../peer-contestants.ts';

const [contestant, dbPath, sync, agentId] = process.argv.slice(2);
if (
  !CONTESTANTS.includes(contestant as Contestant) ||
  !dbPath ||
  (sync !== 'full' && sync !== 'normal') ||
  !agentId
)
  throw new Error('usage: peer-worker <ours|ours-split|plainjob> <db> <full|normal> <agent-id>');

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
