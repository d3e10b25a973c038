/**
 * Applies a parsed `/schedule` command (from the chat or `chat-swarm schedule`) to the ledger.
 * Refusals the ledger raises (an unknown id, removing a config schedule) are LedgerErrors, which the
 * callers turn into a reply or an exit code like any other command's.
 */
import { LedgerError } from '../core/errors.ts';
import type { Ledger } from '../ledger/ledger.ts';
import type { ScheduleSource } from '../ledger/schedule-ops.ts';
import { definitionJson, toDefinition } from '../schedules/schedule-spec.ts';
import { nextRunText, renderScheduleList, summaryOf, viewSchedules } from '../schedules/schedule-view.ts';
import type { CommandOf } from './command-types.ts';

/** Runs the command; returns the reply text, or undefined when the channel notice already says it. */
export function applyScheduleCommand(
  ledger: Ledger,
  c: CommandOf<'schedule'>,
  actor: string,
  source: Exclude<ScheduleSource, 'config'> = 'chat',
): string | undefined {
  const now = ledger.core.now();
  const id = c.scheduleId ?? '';
  switch (c.action) {
    case 'list':
      return renderScheduleList(viewSchedules(ledger, now));
    case 'add': {
      if (!c.spec) throw new LedgerError('bad_schedule', 'the schedule to add is missing');
      const d = c.spec.definition;
      ledger.addSchedule({ id, definition: definitionJson(d), source, summary: summaryOf(d, now) }, actor);
      return undefined;
    }
    case 'pause':
      ledger.pauseSchedule(id, actor);
      return undefined;
    case 'resume':
      ledger.resumeSchedule(id, actor, () => {
        const d = toDefinition(ledger.getSchedule(id)?.definition ?? '');
        return d ? nextRunText(d, now) : 'unknown';
      });
      return undefined;
    case 'remove':
      ledger.removeSchedule(id, actor);
      return undefined;
    case 'run': {
      const res = ledger.runScheduleNow(id, actor);
      return res.created ? undefined : `${res.taskId} exists already (run twice in the same instant)`;
    }
  }
}
