import type Database from 'better-sqlite3';
import { LedgerError } from '../core/errors.ts';
import { SecretMasker, type NamedSecret } from '../core/secret-masker.ts';
import {
  systemClock,
  type AgentRecord,
  type Clock,
  type SwarmEvent,
  type Task,
  type TaskStatus,
} from '../core/types.ts';
import * as agents from './agent-ops.ts';
import {
  queuedNeeds,
  refreshStatusMessages,
  workLeftFor,
  type QueuedNeeds,
  type WorkLeft,
} from './agent-work.ts';
import * as attempts from './attempt-ops.ts';
import { auditLedger, type AuditOptions, type AuditReport, type EventRow } from './audit.ts';
import { createAuditKey, type AuditKey } from './audit-key.ts';
import { completeAndClaim, type CompleteAndClaimResult } from './complete-and-claim.ts';
import * as control from './control-ops.ts';
import { InboxStore } from './inbox-store.ts';
import { LEDGER_DEFAULTS, LedgerCore, type LedgerOptions } from './ledger-core.ts';
import { openDatabase, type OpenDatabaseOptions } from './open-database.ts';
import { OutboxStore } from './outbox-store.ts';
import { pruneLedger, type PruneReport, type PruneRequest } from './prune-ops.ts';
import * as firing from './schedule-fire-ops.ts';
import * as schedules from './schedule-ops.ts';
import * as tasks from './task-ops.ts';
import { failForBudget } from './budget-ops.ts';
import { UsageStore } from './usage-ops.ts';
import type { UsageTotals } from '../core/usage.ts';
import type {
  AttemptRef,
  ClaimingAgent,
  ClaimResult,
  CreateResult,
  NewTask,
  WriteResult,
} from './task-ops.ts';
import { toTask, type TaskRow } from './task-row.ts';

export interface OpenLedgerOptions extends OpenDatabaseOptions, Partial<LedgerOptions> {
  clock?: Clock;
  /**
   * Secrets masked by value in every text the ledger stores (titles, bodies, results, errors,
   * questions, progress, notes, answers, reasons, feedback). Token shapes are masked even without any.
   */
  secrets?: readonly NamedSecret[];
  /**
   * The audit key's secret (SWARM_AUDIT_KEY, read by the CLI): events this process writes are
   * HMAC-chained, and `audit` verifies keyed events. Empty or undefined means no key.
   */
  auditKey?: string | undefined;
}

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
  ) {
    this.core = new LedgerCore(db, clock, options, auditKey);
    this.outbox = new OutboxStore(this.core);
    this.inbox = new InboxStore(this.core);
    this.usage = new UsageStore(this.core, (text) => this.mask(text));
  }

  static open(path: string, options: OpenLedgerOptions = {}): Ledger {
    const { clock, synchronous, busyTimeoutMs, readonly, secrets, auditKey, ...rest } = options;
    // Checked before the file is opened, so a bad key never leaves a database handle behind.
    const key = auditKey ? createAuditKey(auditKey) : undefined;
    const tunables: LedgerOptions = { ...LEDGER_DEFAULTS };
    for (const [k, v] of Object.entries(rest))
      if (v !== undefined) (tunables as unknown as Record<string, unknown>)[k] = v;
    const dbOptions: OpenDatabaseOptions = {};
    if (synchronous !== undefined) dbOptions.synchronous = synchronous;
    if (busyTimeoutMs !== undefined) dbOptions.busyTimeoutMs = busyTimeoutMs;
    if (readonly !== undefined) dbOptions.readonly = readonly;
    return new Ledger(
      openDatabase(path, dbOptions),
      path,
      clock ?? systemClock,
      tunables,
      new SecretMasker(secrets ?? []),
      key,
    );
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
  }

  /** Runs several operations as one transaction (e.g. record an inbox message and apply it). */
  transaction<T>(fn: () => T): T {
    return this.core.write(fn);
  }

  /** Changes whenever another connection commits; a cheap way to notice new work. */
  dataVersion(): number {
    // A cached statement: `db.pragma()` compiles its statement anew on every call, and idle agents
    // ask this hundreds of times a second.
    return (this.core.sql('PRAGMA data_version').get() as { data_version: number }).data_version;
  }

  setChannels(names: string[]): void {
    this.core.write(() => this.core.setChannels(names));
  }

  // Tasks -------------------------------------------------------------------------------------

  createTask(input: NewTask, actor: string): CreateResult {
    // A key becomes the task id and shows everywhere; it cannot be masked, only refused.
    if (input.key !== undefined && this.mask(input.key) !== input.key)
      throw new LedgerError('bad_key', 'key refused: it contains a secret or looks like a token');
    const masked: NewTask = { ...input, title: this.mask(input.title) };
    if (input.body !== undefined) masked.body = this.mask(input.body);
    return tasks.createTask(this.core, masked, actor);
  }
  getTask(id: string): Task | undefined {
    return tasks.loadTask(this.core, id);
  }
  listTasks(filter: { status?: TaskStatus[]; limit?: number } = {}): Task[] {
    const where = filter.status?.length ? `WHERE status IN (${filter.status.map(() => '?').join(',')})` : '';
    const rows = this.core
      .sql(`SELECT * FROM tasks ${where} ORDER BY seq LIMIT ?`)
      .all(...(filter.status ?? []), filter.limit ?? 1_000_000) as TaskRow[];
    return rows.map((r) => toTask(r, this.core.dependsOn(r.id)));
  }
  /** Whether any task is in one of these states; a yes/no that stops at the first match. */
  hasTasksIn(statuses: TaskStatus[]): boolean {
    if (!statuses.length) return false;
    const marks = statuses.map(() => '?').join(',');
    return (
      this.core.sql(`SELECT 1 FROM tasks WHERE status IN (${marks}) LIMIT 1`).get(...statuses) !== undefined
    );
  }
  countByStatus(): Record<string, number> {
    const rows = this.core.sql('SELECT status, COUNT(*) AS n FROM tasks GROUP BY status').all() as {
      status: string;
      n: number;
    }[];
    return Object.fromEntries(rows.map((r) => [r.status, r.n]));
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
    const o = this.maskOutcome(result, artifacts, notices);
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
    const o = this.maskOutcome(result, artifacts, notices);
    return completeAndClaim(this.core, ref, o.result, o.artifacts, o.notices, next);
  }
  /** A result's text masked; an artifact whose name or path would hold a secret dropped, with a notice. */
  private maskOutcome(
    result: string,
    artifacts: attempts.ArtifactRecord[],
    notices: string[],
  ): { result: string; artifacts: attempts.ArtifactRecord[]; notices: string[] } {
    const kept = artifacts.filter((a) => this.mask(a.path) === a.path && this.mask(a.name) === a.name);
    const dropped = artifacts.length - kept.length;
    const said = notices.map((n) => this.mask(n));
    if (dropped) said.push(`${dropped} artifact(s) not attached: the file name holds a secret`);
    return { result: this.mask(result), artifacts: kept, notices: said };
  }
  release(ref: AttemptRef, reason: string): WriteResult {
    return attempts.release(this.core, ref, this.mask(reason));
  }
  /** Earliest time a queued task's retry backoff ends, so idle agents can wake for it. */
  nextRetryAt(): number | null {
    const row = this.core
      .sql(
        "SELECT MIN(not_before) AS t FROM tasks WHERE status = 'queued' AND deps_pending = 0 AND not_before > ?",
      )
      .get(this.core.now()) as { t: number | null };
    return row.t;
  }
  /** Highest event number; changes with every committed state change, from any connection. */
  lastEventSeq(): number {
    return (this.core.sql('SELECT MAX(seq) AS s FROM events').get() as { s: number | null }).s ?? 0;
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
    const row = this.core.sql("SELECT value FROM kv WHERE key = 'swarm_paused'").get() as
      { value: string } | undefined;
    return row?.value === '1';
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
    const rows = this.core
      .sql("SELECT * FROM tasks WHERE owner = ? AND status IN ('claimed','blocked') ORDER BY seq")
      .all(agentId) as TaskRow[];
    return rows.map((r) => toTask(r, this.core.dependsOn(r.id)));
  }

  // Schedules (see src/schedules/) -------------------------------------------------------------

  /** Adds a chat- or CLI-made schedule; its task template's title and body are masked. */
  addSchedule(input: Parameters<typeof schedules.addSchedule>[1], actor: string): void {
    const summary = { ...input.summary, title: this.mask(input.summary.title) };
    schedules.addSchedule(
      this.core,
      { ...input, definition: this.maskDefinition(input.definition), summary },
      actor,
    );
  }
  /** Makes the config schedules in the ledger match the config (see `syncConfigSchedules`). */
  syncConfigSchedules(list: schedules.ConfigSchedule[]): schedules.ConfigSyncResult {
    return schedules.syncConfigSchedules(
      this.core,
      list.map((s) => ({
        ...s,
        definition: this.maskDefinition(s.definition),
        summary: { ...s.summary, title: this.mask(s.summary.title) },
      })),
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

  /** A stored definition with its task's title and body masked, like any task's. */
  private maskDefinition(json: string): string {
    const parsed = JSON.parse(json) as { task?: { title?: unknown; body?: unknown } };
    const task = parsed.task;
    if (task && typeof task.title === 'string') task.title = this.mask(task.title);
    if (task && typeof task.body === 'string') task.body = this.mask(task.body);
    return JSON.stringify(parsed);
  }

  // Events, key-value, audit ------------------------------------------------------------------

  events(options: { taskId?: string; afterSeq?: number } = {}): SwarmEvent[] {
    const rows = (
      options.taskId
        ? this.core
            .sql('SELECT * FROM events WHERE task_id = ? AND seq > ? ORDER BY seq')
            .all(options.taskId, options.afterSeq ?? 0)
        : this.core.sql('SELECT * FROM events WHERE seq > ? ORDER BY seq').all(options.afterSeq ?? 0)
    ) as EventRow[];
    return rows.map((r) => ({
      seq: r.seq,
      at: r.at,
      type: r.type,
      taskId: r.task_id,
      agentId: r.agent_id,
      actor: r.actor,
      data: JSON.parse(r.data) as Record<string, unknown>,
      prevHash: r.prev_hash,
      hash: r.hash,
    }));
  }

  getKv(key: string): string | undefined {
    return (this.core.sql('SELECT value FROM kv WHERE key = ?').get(key) as { value: string } | undefined)
      ?.value;
  }
  setKv(key: string, value: string): void {
    this.core
      .sql('INSERT INTO kv (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value')
      .run(key, value);
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
  AttemptRef,
  ClaimingAgent,
  ClaimResult,
  CompleteAndClaimResult,
  CreateResult,
  NewTask,
  WriteResult,
};
