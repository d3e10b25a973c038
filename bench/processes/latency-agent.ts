// One idle agent process for the latency benchmark: the real AgentRuntime with a worker that
// finishes at once, so the figure is how fast a new task is noticed and claimed.
import { AgentRuntime } from '../../src/agents/agent-runtime.ts';
import { createFunctionWorker } from '../../src/agents/function-worker.ts';
import { silentLogger } from '../../src/core/logger.ts';
import { Ledger } from '../../src/ledger/ledger.ts';

const [dbPath, agentId, workRoot] = process.argv.slice(2);
if (!dbPath || !agentId || !workRoot) throw new Error('usage: latency-agent <db> <agent-id> <work-root>');
const ledger = Ledger.open(dbPath, { synchronous: 'normal' });
const agent = new AgentRuntime(ledger, {
  id: agentId,
  skills: [],
  capacity: 1,
  worker: createFunctionWorker(() => 'ok'),
  workRoot,
  log: silentLogger,
});
agent.start();
process.stdout.write('ready\n');
process.on('SIGTERM', () => {
  void agent.stop().then(() => {
    ledger.close();
    process.exit(0);
  });
});
