// The orchestrator's share of the peers benchmark's multi-process runs for chat-swarm: opens the
// shared ledger, says `ready`, and from `go` queues the channel rows of new events every 50 ms (the
// poster's idle poll) as the poster does before it picks a row (`queueForPosting`: while the write
// lock is free, catching up after a second behind) until `stop`; then queues what is left, waiting
// for the lock, and prints what it did as one JSON line.
import { createInterface } from 'node:readline';
import { Ledger } from '../../src/ledger/ledger.ts';
import { epochMs } from '../peer-contestants.ts';

const [dbPath, sync] = process.argv.slice(2);
if (!dbPath || (sync !== 'full' && sync !== 'normal'))
  throw new Error('usage: peer-queuer <db> <full|normal>');

const ledger = Ledger.open(dbPath, { synchronous: sync });
let stopping = false;
let queued = 0;
process.stdout.write('ready\n');
const lines = createInterface({ input: process.stdin });
lines.on('line', (line) => {
  if (line === 'go') void loop();
  else if (line === 'stop') stopping = true;
});

async function loop(): Promise<void> {
  while (!stopping) {
    queued += ledger.outbox.queueForPosting();
    await new Promise((r) => setTimeout(r, 50));
  }
  queued += ledger.outbox.queueEvents();
  const lastAt = epochMs();
  ledger.close();
  lines.close();
  process.stdout.write(`${JSON.stringify({ queued, lastAt })}\n`);
}
