import type Database from 'better-sqlite3';
import { z } from 'zod';
import { LedgerError } from '../core/errors.ts';
import type { Clock } from '../core/types.ts';
import type { AuditKey } from './audit-key.ts';
import type { CommitBell } from './commit-bell.ts';
import { CHAIN_KEYED_EVENT, GENESIS_HASH, hashEvent } from './event-hash.ts';
import { isMirrored, type EventData } from './mirror-plan.ts';
import { TASK_COLUMNS, taskRowFromRaw, type TaskRow } from './task-row.ts';

/** Tunables of the ledger, with defaults in `LEDGER_DEFAULTS`. */
export interface LedgerOptions {
  leaseMs: number;
  /** First retry delay after a failed attempt; doubles each attempt, with ±20% jitter. */
  retryBaseMs: number;
  retryMaxMs: number;
  defaultTimeoutMs: number;
  defaultMaxAttempts: number;
  defaultPriority: number;
}

export const LEDGER_DEFAULTS = {
  leaseMs: 30_000,
  retryBaseMs: 2_000,
  retryMaxMs: 300_000,
  defaultTimeoutMs: 30 * 60_000,
  defaultMaxAttempts: 3,
  defaultPriority: 5,
} as const satisfies LedgerOptions;

export interface AppendEventInput {
  type: string;
  taskId?: string | null;
  agentId?: string | null;
  actor: string;
  data?: EventData;
}

const channelList = z.array(z.string().min(1)).min(1);
const keyedData = z.object({ keyId: z.string() });

/** Where the chain became keyed: the `chain_keyed` event's number and the key's fingerprint. */
export interface ChainKeyed {
  seq: number;
  keyId: string;
}

const CHAIN_KEYED_SQL = `SELECT seq, data FROM events WHERE type = '${CHAIN_KEYED_EVENT}' ORDER BY seq LIMIT 1`;

/** The first `chain_keyed` event of the ledger, if any (one lookup in a partial index). */
export function chainKeyedOf(db: Database.Database): ChainKeyed | undefined {
  return toChainKeyed(db.prepare(CHAIN_KEYED_SQL).get());
}

function toChainKeyed(found: unknown): ChainKeyed | undefined {
  const row = found as { seq: number; data: string } | undefined;
  if (!row) return undefined;
  const parsed = keyedData.safeParse(JSON.parse(row.data));
  return { seq: row.seq, keyId: parsed.success ? parsed.data.keyId : '' };
}

/**
 * The newest event and whether the chain is keyed, as the current write transaction knows them.
 * Read once per transaction (under the write lock, so no other process can append meanwhile) and
 * advanced in memory by each event the transaction appends.
 */
interface ChainHead {
  seq: number;
  hash: string;
  keyed: ChainKeyed | undefined;
}

// The newest event and the chain's keying, in one read.
const CHAIN_HEAD_SQL = `SELECT e.seq, e.hash, k.seq AS keyedSeq, k.data AS keyedData
  FROM (SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1) e
  LEFT JOIN (${CHAIN_KEYED_SQL}) k`;
/**
 * What says whether the file changed since this connection last looked: `data_version` changes
 * whenever another connection commits (never for this one's own commits), `total_changes()` counts
 * every row this connection has inserted, updated or deleted (a statement run on it outside `write`).
 */
interface FileMark {
  version: number;
  changes: number;
}
/** SQLite's "the lock is taken" (SQLITE_BUSY and its extended codes), as better-sqlite3 reports it. */
const isBusy = (err: unknown): boolean => {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('SQLITE_BUSY');
};
const sameMark = (a: FileMark, b: FileMark): boolean => a.version === b.version && a.changes === b.changes;
// Two plucked statements cost less than one over the pragma's table-valued function (callgrind).
const DATA_VERSION_SQL = 'PRAGMA data_version';
const TOTAL_CHANGES_SQL = 'SELECT total_changes()';
const SYNCHRONOUS_SQL = 'PRAGMA synchronous';
const BUSY_TIMEOUT_SQL = 'PRAGMA busy_timeout';
/** `PRAGMA synchronous` levels: 0 OFF, 1 NORMAL, 2 FULL, 3 EXTRA. */
const SYNCHRONOUS_NORMAL = 1;
const INSERT_EVENT_SQL =
  'INSERT INTO events (seq, at, type, task_id, agent_id, actor, data, mirrored, prev_hash, hash) VALUES (?,?,?,?,?,?,?,?,?,?)';
/**
 * Shared machinery of the ledger operations: cached statements, the clock, and the one way an
 * event is written (hash-chained, in the caller's transaction).
 */
export class LedgerCore {
  private readonly statements = new Map<string, Database.Statement>();
  private readonly rawStatements = new Map<string, Database.Statement>();
  private channelsCache: string[] | undefined;
  // One transaction wrapper for every write; better-sqlite3 turns nested calls into savepoints.
  private readonly runInTransaction: Database.Transaction<(fn: () => unknown) => unknown>;
  /** How many `write` calls are running (nested ones are savepoints). */
  private depth = 0;
  /** The chain head inside the outermost `write`; undefined outside one, or until first needed. */
  private head: ChainHead | undefined;
  /**
   * The chain head as our last committed `write` left it, with the file's mark at that commit: while
   * the mark is the same at the next write, nothing has changed the file since (no other connection
   * committed, nothing on this connection wrote outside `write`), and the head need not be read.
   */
  private committed: { head: ChainHead; mark: FileMark } | undefined;
  /** True while the outermost `write` is the connection's own transaction (not a caller's). */
  private ownTransaction = false;

  constructor(
    readonly db: Database.Database,
    readonly clock: Clock,
    readonly options: LedgerOptions,
    /** SWARM_AUDIT_KEY, when the process has it: events are then HMAC-chained. */
    readonly auditKey?: AuditKey,
    /** Rung after each commit of ours that changed something (file ledgers only). */
    private readonly bell?: CommitBell,
  ) {
    this.runInTransaction = db.transaction((fn: () => unknown) => fn());
  }

  /** A prepared statement, compiled once per SQL text. */
  sql(text: string): Database.Statement {
    let stmt = this.statements.get(text);
    if (!stmt) {
      stmt = this.db.prepare(text);
      this.statements.set(text, stmt);
    }
    return stmt;
  }

  /**
   * A prepared statement in raw mode (rows as arrays, in column order), compiled once per SQL text.
   * Kept apart from `sql`: the mode belongs to the statement.
   */
  rawSql(text: string): Database.Statement {
    let stmt = this.rawStatements.get(text);
    if (!stmt) {
      stmt = this.db.prepare(text).raw(true);
      this.rawStatements.set(text, stmt);
    }
    return stmt;
  }

  /** Runs `fn` as one write transaction taken with BEGIN IMMEDIATE (a savepoint when nested). */
  write<T>(fn: () => T): T {
    // A copy: appends advance the head in place.
    const saved = this.head && { ...this.head };
    const outermost = this.depth === 0;
    // Inside a caller's own transaction our commit is not the commit: it may still roll back.
    if (outermost) this.ownTransaction = !this.db.inTransaction;
    const own = outermost && this.ownTransaction;
    let endMark: FileMark | undefined;
    let startChanges = 0;
    this.depth++;
    try {
      const out = this.runInTransaction.immediate(
        own
          ? () => {
              // Under the write lock, so nothing but us changes the file until we commit.
              const start = this.fileMark();
              startChanges = start.changes;
              if (this.committed && !sameMark(this.committed.mark, start)) this.committed = undefined;
              const value = fn();
              endMark = { version: start.version, changes: this.totalChanges() };
              return value;
            }
          : fn,
      ) as T;
      if (own && endMark) {
        // A head read or advanced by this transaction, or the one it started from (none appended).
        const head = this.head ?? this.committed?.head;
        this.committed = head && { head: { ...head }, mark: endMark };
        // Committed and visible: wake the watchers (a transaction that changed nothing wrote nothing).
        if (endMark.changes !== startChanges) this.bell?.ring();
      }
      return out;
    } catch (err) {
      // Rolled back (the transaction or a savepoint): the events it appended are gone.
      this.head = saved;
      // Not known what the file holds now (a failed COMMIT, a caller's statements run outside the
      // transaction it lost): read the head again next time.
      if (outermost) this.committed = undefined;
      throw err;
    } finally {
      // After the outermost write the head is only known again through `committed`.
      if (--this.depth === 0) this.head = undefined;
    }
  }

  /**
   * Runs `fn` as `write` does, but commits without waiting for the disk (synchronous=NORMAL) when
   * the connection runs at FULL or EXTRA. Only for rows derived from what is already committed (the
   * outbox queued from the event log): a power loss may take such a commit back, never part of it,
   * and its rows are derived again; the next commit at FULL syncs it along with its own. Spares each
   * of the queue's batches a disk flush under the write lock that the agents wait for.
   */
  writeDerived<T>(fn: () => T): T {
    // Only WAL keeps a commit at NORMAL whole on power loss; a rollback journal may not.
    if (this.depth > 0 || this.db.inTransaction || !this.isWal()) return this.write(fn);
    const level = this.sql(SYNCHRONOUS_SQL).pluck().get() as number;
    if (level <= SYNCHRONOUS_NORMAL) return this.write(fn);
    this.sql(`PRAGMA synchronous = ${SYNCHRONOUS_NORMAL}`).run();
    try {
      return this.write(fn);
    } finally {
      this.sql(`PRAGMA synchronous = ${level}`).run();
    }
  }

  /**
   * `writeDerived`, but only if no other connection holds the write lock now: otherwise nothing runs
   * and `done` is false, at once (SQLite's busy handler would sleep and retry for up to the busy
   * timeout). For bookkeeping that can wait for a quiet moment, so that it never keeps a writer who
   * is doing the work waiting. Inside a transaction already open (ours or a caller's) `fn` runs as
   * part of it, waiting for the lock as usual if that transaction has not taken it yet.
   */
  writeDerivedIfFree<T>(fn: () => T): { done: true; value: T } | { done: false } {
    if (this.depth > 0 || this.db.inTransaction) return { done: true, value: this.writeDerived(fn) };
    const timeoutMs = this.sql(BUSY_TIMEOUT_SQL).pluck().get() as number;
    let restored = false;
    const restore = (): void => {
      if (restored) return;
      restored = true;
      this.sql(`PRAGMA busy_timeout = ${timeoutMs}`).run();
    };
    this.sql('PRAGMA busy_timeout = 0').run();
    try {
      // The lock is ours once `fn` starts: its statements wait as usual from there.
      const value = this.writeDerived(() => {
        restore();
        return fn();
      });
      return { done: true, value };
    } catch (err) {
      // Busy before `fn` started: BEGIN IMMEDIATE found the lock taken, and nothing ran.
      if (!restored && isBusy(err)) return { done: false };
      throw err;
    } finally {
      restore();
    }
  }

  private walMode: boolean | undefined;

  /** Whether the file is in WAL mode (read once: the ledger sets it when it opens the file). */
  private isWal(): boolean {
    this.walMode ??= String(this.db.pragma('journal_mode', { simple: true })).toLowerCase() === 'wal';
    return this.walMode;
  }

  /** The data version (changes when another connection commits) and this connection's row changes. */
  private fileMark(): FileMark {
    const version = this.sql(DATA_VERSION_SQL).pluck().get() as number;
    return { version, changes: this.totalChanges() };
  }

  private totalChanges(): number {
    return this.sql(TOTAL_CHANGES_SQL).pluck().get() as number;
  }

  /** True inside `write` (a nested write is then a savepoint of the caller's transaction). */
  get inWrite(): boolean {
    return this.depth > 0;
  }

  now(): number {
    return this.clock.now();
  }

  taskRow(id: string): TaskRow | undefined {
    const raw = this.rawSql(`SELECT ${TASK_COLUMNS} FROM tasks WHERE id = ?`).get(id);
    return raw === undefined ? undefined : taskRowFromRaw(raw);
  }

  requireTask(id: string): TaskRow {
    const row = this.taskRow(id);
    if (!row) throw new LedgerError('unknown_task', `no task ${id}`);
    return row;
  }

  dependsOn(id: string): string[] {
    return (
      this.sql('SELECT depends_on FROM task_deps WHERE task_id = ? ORDER BY depends_on').all(id) as {
        depends_on: string;
      }[]
    ).map((r) => r.depends_on);
  }

  /**
   * Channels the mirror writes to; set by the orchestrator from its config, 'main' until then.
   * Cached; `fresh` reads them again (another process may have changed them).
   */
  channels(fresh = false): string[] {
    if (!this.channelsCache || fresh) {
      const row = this.sql("SELECT value FROM kv WHERE key = 'mirror_channels'").get() as
        { value: string } | undefined;
      const parsed = row ? channelList.safeParse(JSON.parse(row.value)) : undefined;
      this.channelsCache = parsed?.success ? parsed.data : ['main'];
    }
    return this.channelsCache;
  }

  setChannels(names: string[]): void {
    const valid = channelList.parse(names);
    this.sql(
      "INSERT INTO kv (key, value) VALUES ('mirror_channels', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
    ).run(JSON.stringify(valid));
    this.channelsCache = valid;
  }

  /**
   * Where the chain became keyed, if it did. Not cached: a marker appended in a transaction that
   * later rolls back must not be remembered.
   */
  chainKeyed(): ChainKeyed | undefined {
    return toChainKeyed(this.sql(CHAIN_KEYED_SQL).get());
  }

  /**
   * Throws when this process may not append to the chain: the chain is keyed and the process has no
   * key, or another key. Writing anyway would break the chain for every later audit.
   */
  assertCanAppend(): void {
    this.checkAppend(this.chainKeyed());
  }

  /**
   * Appends a hash-chained event, marked as meant for the channel when the mirror plan has rows for
   * it (queued from the event later: outbox-queue.ts). Must run inside a write transaction so the
   * event and the state change commit together. A writer
   * with the audit key first marks the chain as keyed (once per ledger); see `assertCanAppend`.
   */
  appendEvent(input: AppendEventInput): number {
    const head = this.chainHead();
    this.checkAppend(head.keyed);
    if (this.auditKey && !head.keyed) {
      const keyId = this.auditKey.id;
      head.keyed = {
        seq: this.insertEvent(head, { type: CHAIN_KEYED_EVENT, actor: 'system', data: { keyId } }),
        keyId,
      };
    }
    return this.insertEvent(head, input);
  }

  /**
   * The chain head for the next append: kept in memory within the outermost write transaction,
   * read from the file at its first append (another process may have appended since our last one).
   */
  private chainHead(): ChainHead {
    if (this.head) return this.head;
    if (this.depth > 0 && this.ownTransaction) {
      // Kept only if the file's mark at this transaction's start matched our last commit's.
      if (this.committed) return (this.head = { ...this.committed.head });
    } else {
      // Appending in a transaction that is not ours to commit: what we remember may be undone.
      this.committed = undefined;
    }
    const last = this.sql(CHAIN_HEAD_SQL).get() as
      { seq: number; hash: string; keyedSeq: number | null; keyedData: string | null } | undefined;
    const head: ChainHead = {
      seq: last?.seq ?? 0,
      hash: last?.hash ?? GENESIS_HASH,
      keyed:
        last?.keyedSeq == null ? undefined : toChainKeyed({ seq: last.keyedSeq, data: last.keyedData ?? '' }),
    };
    // Outside any write (a caller's own transaction) nothing says when the head goes stale: no caching.
    if (this.depth > 0) this.head = head;
    return head;
  }

  private checkAppend(keyed: ChainKeyed | undefined): void {
    if (!keyed) return;
    if (!this.auditKey) {
      throw new LedgerError(
        'audit_key_required',
        `this ledger's event chain is keyed (from event ${keyed.seq}): set SWARM_AUDIT_KEY to the swarm's audit key to write to it`,
      );
    }
    if (this.auditKey.id !== keyed.keyId) {
      throw new LedgerError(
        'audit_key_mismatch',
        `this ledger's event chain is keyed with another key (key id ${keyed.keyId}; SWARM_AUDIT_KEY has key id ${this.auditKey.id}): use the swarm's audit key`,
      );
    }
  }

  private insertEvent(head: ChainHead, input: AppendEventInput): number {
    const at = this.now();
    const seq = head.seq + 1;
    const prevHash = head.hash;
    const taskId = input.taskId ?? null;
    const agentId = input.agentId ?? null;
    const data = input.data ?? {};
    const dataJson = JSON.stringify(data);
    const fields = { seq, at, type: input.type, taskId, agentId, actor: input.actor, dataJson };
    const hash = hashEvent(prevHash, fields, this.auditKey);
    // Only whether the channel hears of it; its rows are queued later, in batches (outbox-queue.ts).
    const mirrored = isMirrored(input.type, agentId, input.actor, data, taskId);
    this.sql(INSERT_EVENT_SQL).run(
      seq,
      at,
      input.type,
      taskId,
      agentId,
      input.actor,
      dataJson,
      mirrored ? 1 : 0,
      prevHash,
      hash,
    );
    head.seq = seq;
    head.hash = hash;
    return seq;
  }
}
