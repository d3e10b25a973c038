import type Database from 'better-sqlite3';
import { SecretMasker } from '../core/secret-masker.ts';
import type { AgentRecord, Clock, SwarmEvent, Task, TaskStatus } from '../core/types.ts';
import type { UsageTotals } from '../core/usage.ts';
import * as agents from './agent-ops.ts';
import {
  queuedNeeds,
  refreshStatusMessages,
  workLeftFor,
  type QueuedNeeds,
  type WorkLeft,
} from './agent-work.ts';
import * as attempts from './attempt-ops.ts';
import { auditLedger, type AuditOptions, type AuditReport } from './audit.ts';
import type { AuditKey } from './audit-key.ts';
import { failForBudget } from './budget-ops.ts';
import { CommitBell } from './commit-bell.ts';
import { completeAndClaim, type CompleteAndClaimResult } from './complete-and-claim.ts';
import * as control from './control-ops.ts';
import { lastEventSeq, listEvents } from './event-ops.ts';
import { InboxStore } from './inbox-store.ts';
import { maskNewTask, maskOutcome, maskSchedule } from './input-masking.ts';
import { getKv, isSwarmPaused, setKv } from './kv-ops.ts';
import { LedgerCore, type LedgerOptions } from './ledger-core.ts';
import { isFileless, openDatabase } from './open-database.ts';
import { resolveLedgerOptions, type OpenLedgerOptions } from './open-ledger-options.ts';
import { OutboxStore } from './outbox-store.ts';
import { withEventsQueued } from './outbox-queue.ts';
import { pruneLedger, type PruneReport, type PruneRequest } from './prune-ops.ts';
import * as firing from './schedule-fire-ops.ts';
import * as schedules from './schedule-ops.ts';
import * as tasks from './task-ops.ts';
import type {
  AttemptRef,
  ClaimingAgent,
  ClaimResult,
  CreateResult,
  NewTask,
  WriteResult,
} from './task-ops.ts';
import * as queries from './task-query-ops.ts';
import { UsageStore } from './usage-ops.ts';

const CHANGE_MARK_SQL = `SELECT (SELECT seq FROM events ORDER BY seq DESC LIMIT 1) AS seq,
  (SELECT data_version FROM pragma_data_version) AS version`;

/**
 * The SQLite ledger: the single source of truth of a swarm. Every state change is one transaction
 * that updates the task, appends a hash-chained event and queues the channel messages it implies.
 * Safe to open from many processes at once (WAL, busy timeout, BEGIN IMMEDIATE). Free text is
 * masked on the way in, so a secret never reaches a task row, an event, `export` or the channel.
 */
export class Ledger {
  readonly core: LedgerCore;
  readonly outbox: OutboxStore;
  readonly inbox: InboxStore;
  /** Usage and cost per attempt, task, agent and day; sessions; budgets (see usage-ops.ts). */
  readonly usage: UsageStore;

  private constructor(
    readonly db: Database.Database,
    readonly path: string,
    clock: Clock,
    options: LedgerOptions,
    /** Applied to every free-text input of the write methods below. */
    readonly masker: SecretMasker,
    auditKey: AuditKey | undefined,
    private readonly bell: CommitBell | undefined,
  ) {
    this.core = new LedgerCore(db, clock, options, auditKey, bell);
    this.outbox = new OutboxStore(this.core);
    this.inbox = new InboxStore(this.core);
    this.usage = new UsageStore(this.core, (text) => this.mask(text));
  }

  static open(path: string, options: OpenLedgerOptions = {}): Ledger {
    // Resolved (the audit key checked) before the file is opened: a bad key leaves no handle behind.
    const o = resolveLedgerOptions(options);
    const db = openDatabase(path, o.dbOptions);
    // A read-only or in-memory ledger has no commits to announce.
    const bell = o.dbOptions.readonly || isFileless(path) ? undefined : new CommitBell(path);
    return new Ledger(db, path, o.clock, o.tunables, new SecretMasker(o.secrets), o.key, bell);
  }

  /** The text with known secrets and token shapes masked, for callers that store or post text themselves. */
  mask(text: string): string {
    return this.masker.mask(text);
  }

  get options(): LedgerOptions {
    return this.core.options;
  }

  close(): void {
    if (this.db.open) this.db.close();
    this.bell?.close();
  }

  /** Runs several operations as one transaction (e.g. record an inbox message and apply it). */
  transaction<T>(fn: () => T): T {
    return this.core.write(fn);
  }

  /**
   * The newest event and the data version in one read (one read transaction, not two): what the
   * watcher compares to notice a commit by this connection (the event) or any other (the version).
   */
  changeMark(): { seq: number; version: number } {
    const row = this.core.sql(CHANGE_MARK_SQL).get() as { seq: number | null; version: number };
    return { seq: row.seq ?? 0, version: row.version };
  }

  /**
   * Sets the channels the swarm mirrors to. Events so far are queued for the channels they happened
   * under first (in the same transaction), so the change applies from the next event on.
   */
  setChannels(names: string[]): void {
    withEventsQueued(this.core, () => this.core.setChannels(names));
  }

  // Tasks -------------------------------------------------------------------------------------

  createTask(input: NewTask, actor: string): CreateResult {
    return tasks.createTask(this.core, maskNewTask(this.masker, input), actor);
  }
  getTask(id: string): Task | undefined {
    return tasks.loadTask(this.core, id);
  }
  /** The task's holder and whether an answer waits, in one small read (see task-query-ops.ts). */
  attemptState(id: string): queries.AttemptState | undefined {
    return queries.attemptState(this.core, id);
  }
  listTasks(filter: { status?: TaskStatus[]; limit?: number } = {}): Task[] {
    return queries.listTasks(this.core, filter);
  }
  /** Whether any task is in one of these states; a yes/no that stops at the first match. */
  hasTasksIn(statuses: TaskStatus[]): boolean {
    return queries.hasTasksIn(this.core, statuses);
  }
  countByStatus(): Record<string, number> {
    return queries.countByStatus(this.core);
  }

  // Agents' writes (fenced by attempt) ---------------------------------------------------------

  claimNext(agent: ClaimingAgent): ClaimResult {
    return tasks.claimNext(this.core, agent);
  }
  claimTask(taskId: string, agent: ClaimingAgent): ClaimResult {
    return tasks.claimTask(this.core, taskId, agent);
  }
  heartbeat(ref: AttemptRef, leaseMs?: number): WriteResult {
    return attempts.heartbeat(this.core, ref, leaseMs);
  }
  /** Heartbeats of several attempts in one transaction; one result per beat, in order. */
  heartbeatMany(beats: readonly { ref: AttemptRef; leaseMs?: number | undefined }[]): WriteResult[] {
    return attempts.heartbeatMany(this.core, beats);
  }
  progress(ref: AttemptRef, pct: number | null, text: string): WriteResult {
    return attempts.progress(this.core, ref, pct, this.mask(text));
  }
  ask(ref: AttemptRef, question: string): WriteResult {
    return attempts.ask(this.core, ref, this.mask(question));
  }
  takeAnswer(ref: AttemptRef): ReturnType<typeof attempts.takeAnswer> {
    return attempts.takeAnswer(this.core, ref);
  }
  /**
   * Records the result. Text is masked; an artifact whose name or copy path would hold a secret is
   * not attached (masking its path would lose the file), and a notice says so.
   */
  complete(
    ref: AttemptRef,
    result: string,
    artifacts: attempts.ArtifactRecord[] = [],
    notices: string[] = [],
  ): WriteResult {
    const o = maskOutcome(this.masker, result, artifacts, notices);
    return attempts.complete(this.core, ref, o.result, o.artifacts, o.notices);
  }
  /**
   * Records the result like `complete` and, when that succeeds, claims the agent's next task in the
   * same transaction (one commit instead of two). A stale attempt completes nothing and claims nothing.
   */
  completeAndClaim(
    ref: AttemptRef,
    result: string,
    next: ClaimingAgent,
    artifacts: attempts.ArtifactRecord[] = [],
    notices: string[] = [],
  ): CompleteAndClaimResult {
    const o = maskOutcome(this.masker, result, artifacts, notices);
    return completeAndClaim(this.core, ref, o.result, o.artifacts, o.notices, next);
  }
  release(ref: AttemptRef, reason: string): WriteResult {
    return attempts.release(this.core, ref, this.mask(reason));
  }
  /** Earliest time a queued task's retry backoff ends, so idle agents can wake for it. */
  nextRetryAt(): number | null {
    return queries.nextRetryAt(this.core);
  }
  /** Highest event number; changes with every committed state change, from any connection. */
  lastEventSeq(): number {
    return lastEventSeq(this.core);
  }
  fail(ref: AttemptRef, error: string): WriteResult {
    return attempts.fail(this.core, ref, this.mask(error));
  }
  /** Fails the task for good: it crossed its budget (see budget-ops.ts). */
  failForBudget(ref: AttemptRef, error: string, usage: UsageTotals): WriteResult {
    return failForBudget(this.core, ref, this.mask(error), usage);
  }
  expireLeases(): number {
    return attempts.expireLeases(this.core);
  }

  // People's controls -------------------------------------------------------------------------

  cancel(taskId: string, actor: string, reason?: string): void {
    control.cancelTask(this.core, taskId, actor, reason === undefined ? undefined : this.mask(reason));
  }
  retry(taskId: string, actor: string): void {
    control.retryTask(this.core, taskId, actor);
  }
  assign(taskId: string, agentId: string, actor: string): void {
    control.assignTask(this.core, taskId, agentId, actor);
  }
  setPriority(taskId: string, priority: number, actor: string): void {
    control.setPriority(this.core, taskId, priority, actor);
  }
  approve(taskId: string, actor: string): void {
    control.approveTask(this.core, taskId, actor);
  }
  reject(taskId: string, feedback: string, actor: string): void {
    control.rejectTask(this.core, taskId, this.mask(feedback), actor);
  }
  addNote(taskId: string, note: string, actor: string): void {
    control.addNote(this.core, taskId, this.mask(note), actor);
  }
  answer(taskId: string, answer: string, actor: string): void {
    control.answerTask(this.core, taskId, this.mask(answer), actor);
  }
  pause(actor: string, agentId?: string): void {
    control.setPaused(this.core, true, actor, agentId);
  }
  resume(actor: string, agentId?: string): void {
    control.setPaused(this.core, false, actor, agentId);
  }
  isSwarmPaused(): boolean {
    return isSwarmPaused(this.core);
  }

  // Agents ------------------------------------------------------------------------------------

  registerAgent(reg: agents.AgentRegistration): void {
    agents.registerAgent(this.core, reg);
  }
  agentHeartbeat(agentId: string): void {
    agents.agentHeartbeat(this.core, agentId);
  }
  markAgentOffline(agentId: string, instance?: string): void {
    agents.markAgentOffline(this.core, agentId, instance);
  }
  listAgents(): AgentRecord[] {
    return agents.listAgents(this.core);
  }
  getAgent(id: string): AgentRecord | undefined {
    return agents.getAgent(this.core, id);
  }
  /** What an agent could still do (a task it holds, could claim, or waits for), or undefined. */
  workLeftFor(agent: { id: string; skills: string[] }): WorkLeft | undefined {
    return workLeftFor(this.core, agent);
  }
  /** Every queued task's skills and assignee (not waiting on a failed dependency), cheaply. */
  queuedNeeds(): QueuedNeeds[] {
    return queuedNeeds(this.core);
  }
  /** Queues a refresh of these tasks' status messages, without an event (see agent-work.ts). */
  refreshStatusMessages(taskIds: readonly string[]): void {
    refreshStatusMessages(this.core, taskIds);
  }
  /** Tasks an agent currently holds (claimed or blocked). */
  heldBy(agentId: string): Task[] {
    return queries.heldBy(this.core, agentId);
  }

  // Schedules (see src/schedules/) -------------------------------------------------------------

  /** Adds a chat- or CLI-made schedule; its task template's title and body are masked. */
  addSchedule(input: Parameters<typeof schedules.addSchedule>[1], actor: string): void {
    schedules.addSchedule(this.core, maskSchedule(this.masker, input), actor);
  }
  /** Makes the config schedules in the ledger match the config (see `syncConfigSchedules`). */
  syncConfigSchedules(list: schedules.ConfigSchedule[]): schedules.ConfigSyncResult {
    return schedules.syncConfigSchedules(
      this.core,
      list.map((s) => maskSchedule(this.masker, s)),
    );
  }
  getSchedule(id: string): schedules.ScheduleRow | undefined {
    return schedules.getSchedule(this.core, id);
  }
  listSchedules(includeRemoved = false): schedules.ScheduleRow[] {
    return schedules.listSchedules(this.core, includeRemoved);
  }
  /** The newest slot record of a schedule, and how many slots overlap skipped since its last task. */
  scheduleHistory(id: string): {
    last: schedules.ScheduleFireRow | undefined;
    skipped: number;
    open: string | null;
  } {
    return {
      last: firing.lastFire(this.core, id),
      skipped: firing.skippedSinceLastRun(this.core, id),
      open: firing.openTaskOf(this.core, id),
    };
  }
  pauseSchedule(id: string, actor: string): void {
    schedules.setSchedulePaused(this.core, id, true, actor, () => '');
  }
  resumeSchedule(id: string, actor: string, next: () => string): void {
    schedules.setSchedulePaused(this.core, id, false, actor, next);
  }
  removeSchedule(id: string, actor: string): void {
    schedules.removeSchedule(this.core, id, actor);
  }
  runScheduleNow(id: string, actor: string): { taskId: string; created: boolean } {
    return firing.runScheduleNow(this.core, id, actor);
  }
  fireSchedule(id: string, decide: (state: firing.FireState) => firing.FirePlan): firing.FireResult {
    return firing.fireSchedule(this.core, id, decide);
  }

  // Events, key-value, audit ------------------------------------------------------------------

  /** Events in order; see `listEvents` for `tolerant` (damaged data kept as text, not thrown). */
  events(options: { taskId?: string; afterSeq?: number; tolerant?: boolean } = {}): SwarmEvent[] {
    return listEvents(this.core, options);
  }

  getKv(key: string): string | undefined {
    return getKv(this.core, key);
  }
  setKv(key: string, value: string): void {
    setKv(this.core, key, value);
  }

  /** Verifies the chain (with the audit key when this ledger was opened with one), the task rows and the mirror. */
  audit(options: Omit<AuditOptions, 'key'> = {}): AuditReport {
    return auditLedger(this.db, { ...options, ...(this.core.auditKey ? { key: this.core.auditKey } : {}) });
  }

  /** Throws the LedgerError a write would throw when this process may not extend a keyed chain. */
  assertCanWrite(): void {
    this.core.assertCanAppend();
  }

  /** Removes offline agents and old handled inbox and outbox rows; never an event (see prune-ops.ts). */
  prune(request: PruneRequest): PruneReport {
    return pruneLedger(this.core, request);
  }
}

export type {
  OpenLedgerOptions,
  AttemptRef,
  ClaimingAgent,
  ClaimResult,
  CompleteAndClaimResult,
  CreateResult,
  NewTask,
  WriteResult,
};
