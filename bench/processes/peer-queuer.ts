// The orchestrator's share of the peers benchmark's multi-process runs for chat-swarm: opens the
// shared ledger, says `ready`, and from `go` queues the channel rows of new events every 50 ms (the
// poster's idle poll) as the poster does before it picks a row (`queueForPosting`: while the write
// lock is free, catching up after a second behind) until `stop`; then queues what is left, waiting
// for the lock, and prints as one JSON line when it queued and how many events it left unqueued
// (none).
import { createInterface } from 'node:readline';
import { Ledger } from '../../src/ledger/ledger.ts';
import { eventsBehind } from '../../src/ledger/outbox-queue.ts';
import { epochMs } from '../peer-contestants.ts';

const [dbPath, sync] = process.argv.slice(2);
if (!dbPath || (sync !== 'full' && sync !== 'normal'))
  throw new Error('usage: peer-queuer <db> <full|normal>');

/**
 * Runs the queue's code on a scratch ledger in memory first: the orchestrator is a long-running
 * process whose queueing is compiled by the time a swarm is busy. Queued cold, the first catch-up
 * of a run took three to four times as long (interpreted), with the agents waiting for the lock.
 */
function warmUp(): void {
  const scratch = Ledger.open(':memory:');
  const agent = { id: 'warm-up', skills: [] as string[] };
  try {
    for (let round = 0; round < 10; round++) {
      for (let i = 0; i < 100; i++) scratch.createTask({ title: `warm-up ${i}` }, 'bench');
      let claim = scratch.claimNext(agent);
      while (claim.kind === 'claimed') {
        const ref = { taskId: claim.task.id, attempt: claim.attempt, agentId: agent.id };
        claim = scratch.completeAndClaim(ref, 'ok', agent).next ?? { kind: 'none' };
      }
      scratch.outbox.queueForPosting();
    }
  } finally {
    scratch.close();
  }
}

warmUp();
const ledger = Ledger.open(dbPath, { synchronous: sync });
let stopping = false;
let queued = 0;
/**
 * [start, end] of each queue call (epoch ms), those that found the lock taken or nothing to do too:
 * the benchmark counts the time spent in them after the last job.
 */
const spans: [number, number][] = [];
function queueTimed(queue: () => number): void {
  const start = epochMs();
  queued += queue();
  spans.push([start, epochMs()]);
}
// Ends the poll's wait early on `stop`: the clock is running, and the orchestrator would have
// queued the last events as soon as they were committed, not up to a poll later.
let wake: (() => void) | undefined;
process.stdout.write('ready\n');
const lines = createInterface({ input: process.stdin });
lines.on('line', (line) => {
  if (line === 'go')
    loop().catch((err: unknown) => {
      // Said at once, not left for the benchmark to wait out.
      process.stderr.write(`peer-queuer: ${String(err)}\n`);
      process.exit(1);
    });
  else if (line === 'stop') {
    stopping = true;
    wake?.();
  }
});

async function loop(): Promise<void> {
  while (!stopping) {
    queueTimed(() => ledger.outbox.queueForPosting());
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 50);
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    wake = undefined;
  }
  queueTimed(() => ledger.outbox.queueEvents());
  // Events whose rows nobody queued (the agents queue part of a long backlog themselves): none.
  const behind = eventsBehind(ledger.core);
  ledger.close();
  lines.close();
  process.stdout.write(`${JSON.stringify({ queued, behind, spans })}\n`);
}
