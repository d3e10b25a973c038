/**
 * Brings the config file's schedules into the ledger when the orchestrator starts: new ones are
 * added, changed ones updated, ones gone from the file marked removed (their history stays). The
 * config file itself is never written.
 */
import type { Logger } from '../core/logger.ts';
import type { Ledger } from '../ledger/ledger.ts';
import type { ConfigSyncResult } from '../ledger/schedule-ops.ts';
import { definitionJson, type ScheduleSpec } from './schedule-spec.ts';
import { summaryOf } from './schedule-view.ts';

/** Upserts the config's schedules (already checked by the config schema) in one transaction. */
export function syncConfigSchedules(
  ledger: Ledger,
  specs: readonly ScheduleSpec[],
  log: Logger,
): ConfigSyncResult {
  const now = ledger.core.now();
  const result = ledger.syncConfigSchedules(
    specs.map((s) => ({
      id: s.id,
      definition: definitionJson(s.definition),
      summary: summaryOf(s.definition, now),
    })),
  );
  if (result.added.length || result.updated.length || result.removed.length)
    log.info('config schedules synced', { ...result });
  return result;
}
