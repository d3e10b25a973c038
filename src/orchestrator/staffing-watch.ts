import { staffingKey, staffingOf, unstaffedReason, type Staffing } from '../chat/staffing.ts';
import { describeError } from '../core/errors.ts';
import type { Logger } from '../core/logger.ts';
import type { Ledger } from '../ledger/ledger.ts';

/**
 * Keeps "no online agent has skill X" on queued tasks' status messages true as agents come and go.
 * Going offline writes nothing (an agent just stops beating), so the orchestrator looks on each
 * sweep: one read of the small agents table; only when the set of online agents or their skills
 * changed does it read the queued tasks' needs, and it refreshes only the messages whose hint
 * changed (a pending refresh replaces the previous one, so a flapping agent cannot flood the channel).
 */
export class StaffingWatch {
  private last: { key: string; staffing: Staffing } | undefined;

  constructor(
    private readonly ledger: Ledger,
    private readonly log: Logger,
  ) {}

  /** Compares who is online with the last look; returns how many status messages were refreshed. */
  check(): number {
    try {
      const { ledger } = this;
      const staffing = staffingOf(ledger.listAgents(), ledger.core.now(), ledger.options.leaseMs);
      const key = staffingKey(staffing);
      const before = this.last;
      if (before?.key === key) return 0;
      this.last = { key, staffing };
      // The first look has nothing to compare with: messages posted from now on are rendered with it.
      if (before === undefined) return 0;
      const changed = ledger
        .queuedNeeds()
        .filter((t) => unstaffedReason(t, before.staffing) !== unstaffedReason(t, staffing))
        .map((t) => t.id);
      ledger.refreshStatusMessages(changed);
      if (changed.length)
        this.log.debug('online agents changed; refreshing status lines', { tasks: changed.length });
      return changed.length;
    } catch (err) {
      // Try again on the next sweep, from the same baseline.
      this.last = undefined;
      this.log.warn('could not check which agents are online', { error: describeError(err) });
      return 0;
    }
  }
}
