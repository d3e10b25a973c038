import type { Logger } from '../core/logger.ts';
import type { ClaimingAgent, ClaimResult } from '../ledger/ledger.ts';
import type { AttemptLimits } from './attempt-limits.ts';
import type { HeartbeatBatch } from './heartbeat-batch.ts';
import type { UsageBudgets } from './usage-meter.ts';

/** How the agent runtime runs each claimed attempt: lease, pacing, folders, caps, secrets and budgets. */
export interface AttemptSettings {
  leaseMs: number;
  heartbeatMs: number;
  /** Fewest milliseconds between two progress writes; the newest one in between is kept. */
  progressIntervalMs: number;
  /** Root of the attempts' working folders (`<root>/<task>/attempt-<n>`). */
  workRoot: string;
  /** Root of the swarm's copies of accepted artifacts, outside every working folder. */
  artifactRoot: string;
  limits: AttemptLimits;
  /** Values that must never leave in an artifact (this process's tokens). */
  secrets: readonly string[];
  /** Writes the heartbeats of all the runtime's attempts together; each attempt beats alone without it. */
  heartbeats?: HeartbeatBatch;
  /** Lets a successful attempt claim the agent's next task in its completion's transaction. */
  handOn?: HandOn;
  /** Daily budgets and prices of this agent (the task's own budget is in the ledger). */
  budgets?: UsageBudgets;
  log: Logger;
}

/** How a finishing attempt hands its slot on: who claims next (undefined: nobody), and who runs it. */
export interface HandOn {
  next(): ClaimingAgent | undefined;
  start(claim: Extract<ClaimResult, { kind: 'claimed' }>): void;
}
