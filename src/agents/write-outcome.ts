import { describeError } from '../core/errors.ts';
import type { Logger } from '../core/logger.ts';
import type { WriteResult } from '../ledger/ledger.ts';

/** How often, and how long apart, the outcome write is tried again when the ledger is busy or full. */
const OUTCOME_TRIES = 8;
const OUTCOME_RETRY_MS = [250, 500, 1_000, 2_000, 2_000, 4_000, 4_000];

/**
 * Writes the attempt's outcome, trying again for a while when the ledger is busy or full: the work
 * is done, and losing it to one failed write would make another agent redo it. A stale attempt's
 * write is refused by the ledger (not retried), and logged.
 */
export async function writeOutcome(
  log: Logger,
  fields: Record<string, unknown>,
  write: () => WriteResult,
): Promise<void> {
  for (let tryNo = 1; ; tryNo++) {
    try {
      const res = write();
      if (!res.ok) log.warn('outcome refused: attempt is stale', fields);
      return;
    } catch (err) {
      if (tryNo >= OUTCOME_TRIES) {
        log.error('outcome could not be written; the lease will run out and the task be retried', {
          ...fields,
          error: describeError(err),
        });
        return;
      }
      const waitMs = OUTCOME_RETRY_MS[tryNo - 1] ?? 4_000;
      log.warn('outcome write failed; will retry', {
        ...fields,
        retryInMs: waitMs,
        error: describeError(err),
      });
      await new Promise((r) => setTimeout(r, waitMs));
    }
  }
}
