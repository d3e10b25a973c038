import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describeError } from '../core/errors.ts';
import type { Logger } from '../core/logger.ts';
import type { ClaimingAgent, ClaimResult, Ledger } from '../ledger/ledger.ts';
import { DefaultAttemptLimits, type AttemptLimits } from './attempt-limits.ts';
import { runAttempt, type AttemptSettings } from './attempt-runner.ts';
import { HeartbeatBatch } from './heartbeat-batch.ts';
import { LedgerWatcher } from './ledger-watcher.ts';
import { createBudgetGate, type UsageBudgets } from './usage-meter.ts';
import type { Worker } from './worker.ts';

export interface AgentRuntimeOptions {
  id: string;
  skills: string[];
  capacity: number;
  worker: Worker;
  /** Root of the attempts' working folders. */
  workRoot: string;
  /** Root of the swarm's copies of accepted artifacts (default `<workRoot>/.artifacts`). */
  artifactRoot?: string;
  /** Caps on what one attempt may ask, attach and report. */
  limits?: Partial<AttemptLimits>;
  /** Values that must never leave in an artifact (the tokens this process holds). */
  secrets?: readonly string[];
  log: Logger;
  leaseMs?: number;
  heartbeatMs?: number;
  progressIntervalMs?: number;
  /** Also requeue expired leases (useful when no orchestrator runs on this ledger). */
  sweepLeases?: boolean;
  /** Shared watcher when several agents run in one process. */
  watcher?: LedgerWatcher;
  /** This runtime's instance id (default: a random one); see `registerAgent`. */
  instance?: string;
  /** Daily budgets and prices: over a daily budget the agent claims nothing (see usage-meter.ts). */
  budgets?: UsageBudgets;
}

/**
 * One agent: claims eligible tasks up to its capacity as soon as they appear and runs its worker on
 * each. Runs inside the orchestrator's process or alone (`chat-swarm agent <id>`) on the same ledger.
 */
export class AgentRuntime {
  private readonly running = new Map<string, Promise<void>>();
  private readonly shutdown = new AbortController();
  private readonly watcher: LedgerWatcher;
  private readonly settings: AttemptSettings;
  private unsubscribe: (() => void) | undefined;
  private tick: NodeJS.Timeout | undefined;
  private filling = false;
  private closed = false;
  private refill = false;
  private lastSweepAt = 0;
  private lastBeatAt = 0;
  /** Random id of this runtime, recorded on the agent row and on each claim it makes. */
  readonly instance: string;
  private readonly mayClaim: () => boolean;

  constructor(
    private readonly ledger: Ledger,
    private readonly options: AgentRuntimeOptions,
  ) {
    this.watcher = options.watcher ?? new LedgerWatcher(ledger);
    this.instance = options.instance ?? randomUUID();
    const leaseMs = options.leaseMs ?? ledger.options.leaseMs;
    const heartbeatMs = options.heartbeatMs ?? Math.max(50, Math.floor(leaseMs / 3));
    this.settings = {
      leaseMs,
      heartbeatMs,
      progressIntervalMs: options.progressIntervalMs ?? 1_000,
      workRoot: options.workRoot,
      // Task folders never start with a dot, so this name cannot be a task's folder.
      artifactRoot: options.artifactRoot ?? join(options.workRoot, '.artifacts'),
      limits: { ...DefaultAttemptLimits, ...options.limits },
      secrets: options.secrets ?? [],
      log: options.log,
      ...(options.budgets ? { budgets: options.budgets } : {}),
      heartbeats: new HeartbeatBatch(ledger, heartbeatMs, options.log),
      // The finishing attempt's slot goes to the next task, claimed in its completion's transaction.
      handOn: {
        next: () => (this.closed || !this.mayClaim() ? undefined : this.claimant()),
        start: (claim) => this.startAttempt(claim),
      },
    };
    this.mayClaim = createBudgetGate(ledger, options.id, options.budgets ?? {}, options.log);
  }

  get id(): string {
    return this.options.id;
  }

  /** The skills it claims tasks by. */
  get skills(): readonly string[] {
    return this.options.skills;
  }

  /** Tasks this agent is working on now. */
  get busy(): number {
    return this.running.size;
  }

  /**
   * Registers the agent and starts claiming. Throws `AgentRunningError` when another live process
   * runs this agent id; releases the claims a gone predecessor left (without spending attempts).
   */
  start(): void {
    this.ledger.registerAgent({
      id: this.options.id,
      skills: this.options.skills,
      capacity: this.options.capacity,
      pid: process.pid,
      instance: this.instance,
      host: hostname(),
      leaseMs: this.settings.leaseMs,
    });
    this.unsubscribe = this.watcher.subscribe(() => this.fill());
    // A slow tick for what no write announces: retry backoffs ending, leases running out.
    this.tick = setInterval(
      () => {
        this.beat();
        this.sweep();
        this.fill();
      },
      Math.min(1_000, this.settings.heartbeatMs),
    );
    this.fill();
  }

  /** Stops claiming; running attempts are stopped and their tasks released back to the queue. */
  async stop(): Promise<void> {
    this.closed = true;
    this.unsubscribe?.();
    if (this.tick) clearInterval(this.tick);
    this.shutdown.abort('agent stopping');
    await Promise.allSettled(this.running.values());
    try {
      this.ledger.markAgentOffline(this.options.id, this.instance);
    } catch (err) {
      this.options.log.warn('could not mark agent offline', {
        agent: this.options.id,
        error: describeError(err),
      });
    }
  }

  /** Stops claiming but lets running attempts finish. */
  async finish(): Promise<void> {
    this.closed = true;
    this.unsubscribe?.();
    if (this.tick) clearInterval(this.tick);
    await Promise.allSettled(this.running.values());
  }

  /**
   * The agent's own heartbeat, once per heartbeat interval (a third of the lease), not on every tick:
   * each beat is a commit that waits its turn for the write lock, and "online" means heard from
   * within a lease. A failed write (busy, disk full) is logged and tried again on the next tick.
   */
  private beat(): void {
    const now = Date.now();
    if (now - this.lastBeatAt < this.settings.heartbeatMs) return;
    try {
      this.ledger.agentHeartbeat(this.options.id);
      this.lastBeatAt = now;
    } catch (err) {
      this.options.log.warn('agent heartbeat failed; will retry', {
        agent: this.options.id,
        error: describeError(err),
      });
    }
  }

  private sweep(): void {
    if (!this.options.sweepLeases) return;
    const now = Date.now();
    if (now - this.lastSweepAt < this.settings.leaseMs / 2) return;
    this.lastSweepAt = now;
    try {
      this.ledger.expireLeases();
    } catch (err) {
      this.options.log.warn('lease sweep failed', { error: describeError(err) });
    }
  }

  /** Who claims: this agent, with its lease and instance. */
  private claimant(): ClaimingAgent {
    return {
      id: this.options.id,
      skills: this.options.skills,
      leaseMs: this.settings.leaseMs,
      instance: this.instance,
    };
  }

  /** Runs the worker on a task this agent claimed (by `fill`, or with a completion). */
  private startAttempt(claim: Extract<ClaimResult, { kind: 'claimed' }>): void {
    const ref = { taskId: claim.task.id, attempt: claim.attempt, agentId: this.options.id };
    this.options.log.debug('claimed', { agent: this.options.id, taskId: ref.taskId, attempt: ref.attempt });
    this.watcher.notify();
    const key = `${ref.taskId}#${ref.attempt}`;
    const run = runAttempt(
      this.ledger,
      this.watcher,
      this.options.worker,
      claim.task,
      ref,
      this.settings,
      this.shutdown.signal,
    )
      .catch((err: unknown) =>
        this.options.log.error('attempt failed unexpectedly', { ...ref, error: describeError(err) }),
      )
      .finally(() => {
        this.running.delete(key);
        this.watcher.notify();
        setImmediate(() => this.fill());
      });
    this.running.set(key, run);
  }

  /** Claims until full or nothing is eligible. Re-entrant calls during a fill trigger one more pass. */
  private fill(): void {
    if (this.closed) return;
    if (this.filling) {
      this.refill = true;
      return;
    }
    this.filling = true;
    try {
      do {
        this.refill = false;
        while (this.running.size < this.options.capacity && !this.closed && this.mayClaim()) {
          const claim = this.ledger.claimNext(this.claimant());
          if (claim.kind !== 'claimed') break;
          this.startAttempt(claim);
        }
      } while (this.refill && !this.closed);
    } catch (err) {
      this.options.log.error('claiming failed', { agent: this.options.id, error: describeError(err) });
    } finally {
      this.filling = false;
    }
  }
}
