// Loads a ledger with N tasks in its own process and reports the peak resident set size while the
// swarm's usual reads and writes run over it (board, claims, listing, audit). Plain JavaScript over
// the compiled code in dist/ (what the installed `chat-swarm` runs), so the TypeScript loader's own
// memory is not counted; run `npm run build` first (the rss benchmark does).
import { join } from 'node:path';
import { renderBoard } from '../../dist/src/chat/render-task.js';
import { Ledger } from '../../dist/src/ledger/ledger.js';

const [dir, countArg] = process.argv.slice(2);
const count = Number(countArg ?? 100_000);
const ledger = Ledger.open(join(dir, 'rss.db'), { synchronous: 'normal' });
const batch = 5_000;
for (let done = 0; done < count; done += batch) {
  ledger.transaction(() => {
    for (let i = done; i < Math.min(count, done + batch); i++)
      ledger.createTask({ title: `task ${i}`, skills: i % 3 ? ['code'] : ['docs'] }, 'bench');
  });
}
for (let i = 0; i < 1_000; i++) {
  const c = ledger.claimNext({ id: 'rss-agent', skills: ['code', 'docs'] });
  if (c.kind === 'claimed')
    ledger.complete({ taskId: c.task.id, attempt: c.attempt, agentId: 'rss-agent' }, 'ok');
}
renderBoard(ledger.listTasks({ status: ['queued', 'claimed'], limit: 5_000 }), ledger.countByStatus(), false);
const audit = ledger.audit();
if (audit.problems.some((p) => p.kind !== 'pending')) throw new Error('the probe ledger fails its audit');
const tasks = ledger.db.prepare('SELECT COUNT(*) AS n FROM tasks').get().n;
ledger.close();
process.stdout.write(JSON.stringify({ tasks, maxRssKb: process.resourceUsage().maxRSS }) + '\n');
