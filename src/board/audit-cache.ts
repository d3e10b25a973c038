import type { AuditProblem } from '../ledger/audit.ts';
import type { Ledger } from '../ledger/ledger.ts';

/** The audit as the board shows it: verdicts per part and the first problems. */
export interface AuditSummary {
  at: number;
  /** How long the audit took, so people know what the button costs. */
  tookMs: number;
  events: number;
  mirroredEvents: number;
  tasks: number;
  chainIntact: boolean;
  rowsMatch: boolean;
  mirrorComplete: boolean;
  /** Events still to be posted (not a failure: the poster is behind). */
  pending: number;
  problems: AuditProblem[];
  problemCount: number;
  notes: string[];
  head: { seq: number; hash: string } | null;
}

/** Most problems the board lists; the CLI's `audit` shows them all. */
const MAX_PROBLEMS = 20;

/**
 * Runs `ledger.audit()` on demand and keeps the answer for `ttlMs`: the audit replays every event,
 * far too heavy to run per event or per page view on a big ledger.
 */
export class AuditCache {
  private cached: AuditSummary | undefined;

  constructor(
    private readonly ledger: Ledger,
    private readonly ttlMs = 30_000,
    private readonly clock: () => number = Date.now,
  ) {}

  /** The cached summary when fresh enough, otherwise a new audit. */
  get(maxAgeMs = this.ttlMs): AuditSummary {
    const now = this.clock();
    if (this.cached && now - this.cached.at < Math.min(maxAgeMs, this.ttlMs)) return this.cached;
    const report = this.ledger.audit();
    const kinds = new Set(report.problems.map((p) => p.kind));
    const real = report.problems.filter((p) => p.kind !== 'pending');
    this.cached = {
      at: now,
      tookMs: this.clock() - now,
      events: report.events,
      mirroredEvents: report.mirroredEvents,
      tasks: report.tasks,
      chainIntact: !kinds.has('chain') && !kinds.has('key'),
      rowsMatch: !kinds.has('state'),
      mirrorComplete: !kinds.has('mirror'),
      pending: report.problems.length - real.length,
      problems: real.slice(0, MAX_PROBLEMS),
      problemCount: real.length,
      notes: report.notes,
      head: report.head,
    };
    return this.cached;
  }
}
