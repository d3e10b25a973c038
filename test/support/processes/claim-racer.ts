// A child process for the race tests: claims and completes tasks on a shared ledger file as fast
// as it can, and prints one line per task it completed, so the parent can look for double work.
import { Ledger } from '../../../src/ledger/ledger.ts';

const [dbPath, agentId, mode] = process.argv.slice(2);
if (!dbPath || !agentId) throw new Error('usage: claim-racer <db> <agent-id> [create-key]');
const ledger = Ledger.open(dbPath, { synchronous: 'normal', busyTimeoutMs: 30_000 });

if (mode === 'create-key') {
  const res = ledger.createTask({ title: `made by ${agentId}`, key: 'RACE-KEY' }, agentId);
  process.stdout.write(`${res.created ? 'created' : 'existing'} ${res.task.id}\n`);
} else {
  // Wait for the parent's go signal (a file), so all processes start racing together.
  const go = `${dbPath}.go`;
  const { existsSync } = await import('node:fs');
  while (!existsSync(go)) await new Promise((r) => setTimeout(r, 5));
  const done: string[] = [];
  for (;;) {
    const claim = ledger.claimNext({ id: agentId, skills: [] });
    if (claim.kind !== 'claimed') break;
    const res = ledger.complete({ taskId: claim.task.id, attempt: claim.attempt, agentId }, `by ${agentId}`);
    if (res.ok) done.push(claim.task.id);
  }
  process.stdout.write(done.map((id) => `${id}\n`).join(''));
}
ledger.close();
