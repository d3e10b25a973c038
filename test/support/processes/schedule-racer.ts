// A child process for the scheduler race test: runs a real scheduler loop (system clock) on a shared
// ledger file for the given time, started together with the others by the parent's go file.
import { existsSync } from 'node:fs';
import { silentLogger } from '../../../src/core/logger.ts';
import { Ledger } from '../../../src/ledger/ledger.ts';
import { Scheduler } from '../../../src/schedules/scheduler.ts';

const [dbPath, runMs] = process.argv.slice(2);
if (!dbPath || !runMs) throw new Error('usage: schedule-racer <db> <run ms>');
const ledger = Ledger.open(dbPath, { synchronous: 'normal', busyTimeoutMs: 30_000 });
const go = `${dbPath}.go`;
while (!existsSync(go)) await new Promise((r) => setTimeout(r, 5));
// A short poll makes the racers collide on nearly every slot.
const scheduler = new Scheduler(ledger, silentLogger, { pollMs: 50 });
scheduler.start();
await new Promise((r) => setTimeout(r, Number(runMs)));
scheduler.stop();
ledger.close();
