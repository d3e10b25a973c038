import { silentLogger } from '../../src/core/logger.ts';
import type { Ledger } from '../../src/ledger/ledger.ts';
import { checkSchedule } from '../../src/schedules/schedule-spec.ts';
import { Scheduler } from '../../src/schedules/scheduler.ts';
import { definitionJson } from '../../src/schedules/schedule-spec.ts';
import { summaryOf } from '../../src/schedules/schedule-view.ts';
import { queued } from '../support/temp-ledger.ts';

/** Adds a schedule as `chat-swarm schedule add` would, from the config's JSON shape. */
export function addSchedule(ledger: Ledger, input: Record<string, unknown>, actor = 'test'): void {
  const checked = checkSchedule({ task: { title: 'scheduled work' }, timezone: 'UTC', ...input });
  if (!checked.ok) throw new Error(checked.problem);
  const d = checked.spec.definition;
  ledger.addSchedule(
    {
      id: checked.spec.id,
      definition: definitionJson(d),
      source: 'cli',
      summary: summaryOf(d, ledger.core.now()),
    },
    actor,
  );
}

/** A scheduler that the test ticks by hand (never started, so no timers). */
export function handScheduler(ledger: Ledger, graceMs = 60_000): Scheduler {
  return new Scheduler(ledger, silentLogger, { graceMs });
}

/** Keys of the tasks a schedule made, in creation order. */
export function scheduleTaskIds(ledger: Ledger, id: string): string[] {
  return ledger
    .listTasks()
    .map((t) => t.id)
    .filter((t) => t.startsWith(`sch.${id}.`));
}

/** The texts of the channel notices queued so far. */
export function notices(ledger: Ledger): string[] {
  return (
    queued(ledger).db.prepare("SELECT payload FROM outbox WHERE kind = 'notice' ORDER BY id").all() as {
      payload: string;
    }[]
  ).map((r) => (JSON.parse(r.payload) as { text: string }).text);
}
