// A child process for the crash test: an orchestrator whose chat port kills the whole process
// (SIGKILL, no cleanup) the moment the poster tries to post, i.e. after the ledger committed the
// events but before any message id was recorded.
import type { ChatPort } from '../../../src/chat/chat-port.ts';
import { Ledger } from '../../../src/ledger/ledger.ts';
import { createTestOrchestrator } from '../test-orchestrator.ts';

const [dbPath] = process.argv.slice(2);
if (!dbPath) throw new Error('usage: crashing-orchestrator <db>');
const ledger = Ledger.open(dbPath);
const port: ChatPort = {
  platform: 'memory',
  limits: { maxTextLength: 2000, maxAttachmentBytes: 1_000_000 },
  start: async () => undefined,
  stop: async () => undefined,
  send: async () => {
    process.kill(process.pid, 'SIGKILL');
    return new Promise(() => undefined);
  },
};
const orch = createTestOrchestrator(ledger, port);
await orch.start();
ledger.createTask({ title: 'posted after the crash' }, 'test');
orch.poster.kick();
await new Promise(() => undefined);
