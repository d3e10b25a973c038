import Database from 'better-sqlite3';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { Ledger } from '../src/ledger/ledger.ts';
import { benchDir, report } from './bench-util.ts';

type Sync = 'full' | 'normal';

/**
 * Claim-and-complete cycles a second through the Ledger API, the clock stopped once the channel rows
 * of those cycles are queued too (the poster's job, in batches).
 */
function ledgerCycles(path: string, tasks: number, sync: Sync): number {
  const ledger = Ledger.open(path, { synchronous: sync });
  ledger.transaction(() => {
    for (let i = 0; i < tasks; i++) ledger.createTask({ title: `bench ${i}` }, 'bench');
  });
  ledger.outbox.queueEvents(); // the seed's rows, untimed
  const agent = { id: 'bench-agent', skills: [] as string[] };
  const started = process.hrtime.bigint();
  for (;;) {
    const c = ledger.claimNext(agent);
    if (c.kind !== 'claimed') break;
    ledger.complete({ taskId: c.task.id, attempt: c.attempt, agentId: agent.id }, 'ok');
  }
  ledger.outbox.queueEvents();
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  ledger.close();
  return tasks / seconds;
}

/**
 * The same rows written by hand with plain better-sqlite3, in the same two IMMEDIATE transactions
 * per cycle at the same durability: claim (pick, task update, attempt row, hash-chained event) and
 * complete (task update, attempt update, event); then each event's status and detail outbox rows,
 * 100 events a transaction, as the ledger queues them. What it leaves out is the ledger's own work:
 * validation, fencing reads, rendering, bookkeeping.
 */
function bareCycles(path: string, tasks: number, sync: Sync): number {
  Ledger.open(path, { synchronous: sync }).close(); // same schema and indexes
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${sync.toUpperCase()}`);
  const insert = db.prepare(
    `INSERT INTO tasks (id, seq, title, timeout_ms, max_attempts, status, created_by, created_at, updated_at) VALUES (?,?,?,?,?,'queued','bench',?,?)`,
  );
  db.transaction(() => {
    for (let i = 1; i <= tasks; i++) insert.run(`T-${i}`, i, `bench ${i}`, 60_000, 3, Date.now(), Date.now());
  })();
  const pick = db.prepare(
    `SELECT id, attempt FROM tasks WHERE status = 'queued' AND deps_pending = 0 AND not_before <= ? ORDER BY priority DESC, seq LIMIT 1`,
  );
  const claim = db.prepare(
    `UPDATE tasks SET status = 'claimed', attempt = ?, owner = ?, lease_expires_at = ?, updated_at = ? WHERE id = ? AND status = 'queued'`,
  );
  const attempt = db.prepare(
    `INSERT INTO attempts (task_id, attempt, agent_id, started_at, lease_expires_at, last_heartbeat_at) VALUES (?,?,?,?,?,?)`,
  );
  const lastEvent = db.prepare('SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1');
  const event = db.prepare(
    `INSERT INTO events (seq, at, type, task_id, agent_id, actor, data, mirrored, prev_hash, hash) VALUES (?,?,?,?,?,?,?,1,?,?)`,
  );
  const supersede = db.prepare(
    `UPDATE outbox SET status = 'superseded' WHERE task_id = ? AND channel = 'main' AND kind = 'status' AND status = 'pending'`,
  );
  const outbox = db.prepare(
    `INSERT INTO outbox (channel, kind, event_seq, task_id, priority, payload, created_at, via_queue) VALUES ('main',?,?,?,?,?,?,1)`,
  );
  const done = db.prepare(
    `UPDATE tasks SET status = 'done', result = ?, owner = NULL, lease_expires_at = NULL, updated_at = ? WHERE id = ?`,
  );
  const endAttempt = db.prepare(
    `UPDATE attempts SET ended_at = ?, outcome = 'done' WHERE task_id = ? AND attempt = ?`,
  );
  const queuedKv = db.prepare(
    "INSERT INTO kv (key, value) VALUES ('outbox_queued_seq', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
  );
  const unqueued: { seq: number; taskId: string; detail: string; now: number }[] = [];
  const writeEvent = (now: number, type: string, taskId: string, data: string, detail: string): void => {
    const last = lastEvent.get() as { seq: number; hash: string } | undefined;
    const seq = (last?.seq ?? 0) + 1;
    const hash = createHash('sha256')
      .update(last?.hash ?? '')
      .update(data)
      .digest('hex');
    event.run(seq, now, type, taskId, 'bench-agent', 'agent:bench-agent', data, last?.hash ?? '', hash);
    unqueued.push({ seq, taskId, detail, now });
  };
  const queueTx = db.transaction((batch: typeof unqueued) => {
    // The cursor first, as the ledger moves it (migration 8's trigger refuses rows past it).
    queuedKv.run(String(batch.at(-1)!.seq));
    for (const e of batch) {
      supersede.run(e.taskId);
      outbox.run('status', e.seq, e.taskId, 2, '{"text":""}', e.now);
      outbox.run('detail', e.seq, e.taskId, 1, e.detail, e.now);
    }
  });
  const claimTx = db.transaction((now: number) => {
    const row = pick.get(now) as { id: string; attempt: number } | undefined;
    if (!row) return undefined;
    claim.run(row.attempt + 1, 'bench-agent', now + 30_000, now, row.id);
    attempt.run(row.id, row.attempt + 1, 'bench-agent', now, now + 30_000, now);
    writeEvent(now, 'task_claimed', row.id, '{"attempt":1}', '{"text":"claimed"}');
    return { id: row.id, attempt: row.attempt + 1 };
  });
  const completeTx = db.transaction((id: string, n: number, now: number) => {
    done.run('ok', now, id);
    endAttempt.run(now, id, n);
    writeEvent(now, 'task_done', id, '{"result":"ok"}', '{"text":"result: ok"}');
  });
  const started = process.hrtime.bigint();
  for (;;) {
    const c = claimTx.immediate(Date.now());
    if (!c) break;
    completeTx.immediate(c.id, c.attempt, Date.now());
  }
  for (let i = 0; i < unqueued.length; i += 100) queueTx.immediate(unqueued.slice(i, i + 100));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  db.close();
  return tasks / seconds;
}

const median = (xs: number[]): number => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;

/**
 * Runs both loops in the same process, round after round, alternating which goes first. Each
 * round's ratio compares two runs made moments apart, so load from elsewhere (or a slow fsync
 * spell) moves both sides of a ratio together; the figure is the median of those paired ratios.
 */
export function benchLedgerThroughput(
  tasks: number,
  sync: Sync,
  rounds = 9,
): { ledger: number; bare: number; ratio: number; lowRatio: number; highRatio: number } {
  const ledgerRuns: number[] = [];
  const bareRuns: number[] = [];
  const ratios: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const a = benchDir();
    const b = benchDir();
    try {
      let bare: number;
      let ledger: number;
      if (r % 2 === 0) {
        bare = bareCycles(join(b.dir, 'bare.db'), tasks, sync);
        ledger = ledgerCycles(join(a.dir, 'ledger.db'), tasks, sync);
      } else {
        ledger = ledgerCycles(join(a.dir, 'ledger.db'), tasks, sync);
        bare = bareCycles(join(b.dir, 'bare.db'), tasks, sync);
      }
      bareRuns.push(bare);
      ledgerRuns.push(ledger);
      ratios.push(ledger / bare);
    } finally {
      a.remove();
      b.remove();
    }
  }
  const sorted = [...ratios].sort((x, y) => x - y);
  return {
    ledger: median(ledgerRuns),
    bare: median(bareRuns),
    ratio: median(ratios),
    // The middle of the spread: drop the two lowest and two highest rounds.
    lowRatio: sorted[Math.min(2, sorted.length - 1)]!,
    highRatio: sorted[Math.max(0, sorted.length - 3)]!,
  };
}

export function runLedgerBench(tasks: number): void {
  for (const sync of ['full', 'normal'] as const) {
    const r = benchLedgerThroughput(tasks, sync);
    const pct = (x: number): string => `${(x * 100).toFixed(0)}%`;
    report(
      `ledger claim+complete, synchronous=${sync.toUpperCase()}`,
      `${pct(r.ratio)} of bare better-sqlite3 (median of 9 paired rounds, middle rounds ${pct(r.lowRatio)}–${pct(r.highRatio)}; ` +
        `${r.ledger.toFixed(0)} vs ${r.bare.toFixed(0)} cycles/s, ${tasks} tasks a round)`,
      `npm run bench -- ledger --tasks ${tasks}`,
    );
  }
}
