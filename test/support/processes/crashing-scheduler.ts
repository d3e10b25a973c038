// A child process for the schedule crash test: an orchestrator and a scheduler whose chat port kills
// the whole process (SIGKILL, no cleanup) the moment the poster tries to post a schedule's task,
// i.e. after the ledger committed the firing but before any message id was recorded.
import type { ChatPort } from '../../../src/chat/chat-port.ts';
import { silentLogger } from '../../../src/core/logger.ts';
import { Ledger } from '../../../src/ledger/ledger.ts';
import { checkSchedule, definitionJson } from '../../../src/schedules/schedule-spec.ts';
import { Scheduler } from '../../../src/schedules/scheduler.ts';
import { summaryOf } from '../../../src/schedules/schedule-view.ts';
import { createTestOrchestrator } from '../test-orchestrator.ts';

const [dbPath, startAt] = process.argv.slice(2);
if (!dbPath || !startAt) throw new Error('usage: crashing-scheduler <db> <start ms>');
let now = Number(startAt);
const ledger = Ledger.open(dbPath, { clock: { now: () => now } });
const checked = checkSchedule({
  id: 'crashy',
  every: '1m',
  timezone: 'UTC',
  overlap: 'allow',
  task: { title: 'made before the crash' },
});
if (!checked.ok) throw new Error(checked.problem);
const d = checked.spec.definition;
ledger.addSchedule(
  { id: 'crashy', definition: definitionJson(d), source: 'cli', summary: summaryOf(d, now) },
  'test',
);
let sent = 0;
const port: ChatPort = {
  platform: 'memory',
  limits: { maxTextLength: 2000, maxAttachmentBytes: 1_000_000 },
  start: async () => undefined,
  stop: async () => undefined,
  send: async (message) => {
    if (message.heading?.includes('sch.crashy.')) {
      process.kill(process.pid, 'SIGKILL');
      return new Promise(() => undefined);
    }
    return { messageId: `m-${++sent}` };
  },
};
const orch = createTestOrchestrator(ledger, port);
await orch.start();
const scheduler = new Scheduler(ledger, silentLogger, {}, () => orch.poster.kick());
now += 60_000;
scheduler.tick();
await new Promise(() => undefined);
