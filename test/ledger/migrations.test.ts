import Database from 'better-sqlite3';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Ledger } from '../../src/ledger/ledger.ts';
import { MIGRATIONS } from '../../src/ledger/migrations.ts';
import { tempDir } from '../support/temp-ledger.ts';

/** A ledger file as chat-swarm left it at schema `version`, with the raw SQL `seed` applied. */
function oldLedger(version: number, seed: string): string {
  const path = join(tempDir(), 'old.db');
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  for (const sql of MIGRATIONS.slice(0, version)) db.exec(sql);
  db.pragma(`user_version = ${version}`);
  db.exec(seed);
  db.close();
  return path;
}

const SEED_V5 = `
  INSERT INTO tasks (id, seq, title, timeout_ms, max_attempts, status, attempt, owner, lease_expires_at,
                     created_by, created_at, updated_at)
    VALUES ('T-1', 1, 'old', 60000, 3, 'claimed', 2, 'a1', 9999999999999, 'cli', 1, 1);
  INSERT INTO attempts (task_id, attempt, agent_id, started_at, lease_expires_at, last_heartbeat_at,
                        ended_at, outcome, error, instance)
    VALUES ('T-1', 1, 'a1', 1, 2, 1, 2, 'failed', 'boom', 'i-1'),
           ('T-1', 2, 'a1', 3, 9999999999999, 3, NULL, 'running', NULL, 'i-2');
  INSERT INTO outbox (channel, kind, event_seq, task_id, priority, payload, status, platform_message_id, created_at)
    VALUES ('main', 'status', NULL, 'T-1', 5, '{"text":""}', 'sent', 'msg-7', 1),
           ('main', 'detail', NULL, 'T-1', 5, '{"text":"x"}', 'pending', NULL, 1);
`;

describe('migrations 6 and 7 on a version-5 ledger', () => {
  it('upgrades a version-5 ledger in place: attempts, message lookups and writes still work', () => {
    const path = oldLedger(5, SEED_V5);
    const ledger = Ledger.open(path);
    try {
      expect(ledger.db.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
      const schema = ledger.db
        .prepare(
          "SELECT name, sql FROM sqlite_master WHERE name IN ('attempts', 'outbox_message', 'outbox_event')",
        )
        .all() as { name: string; sql: string }[];
      const sqlOf = Object.fromEntries(schema.map((r) => [r.name, r.sql]));
      expect(sqlOf.attempts).toMatch(/WITHOUT ROWID/);
      expect(sqlOf.outbox_message).toMatch(/WHERE platform_message_id IS NOT NULL/);
      expect(sqlOf.outbox_event).toBeUndefined();
      // Migration 7: the task messages' lookup indexes.
      const indexes = ledger.db
        .prepare(
          "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'task_messages' ORDER BY name",
        )
        .all() as { name: string }[];
      expect(indexes.map((r) => r.name)).toEqual(
        expect.arrayContaining(['task_messages_message', 'task_messages_thread']),
      );

      // Every attempt, every column, kept.
      expect(ledger.db.prepare('SELECT * FROM attempts ORDER BY attempt').all()).toEqual([
        {
          task_id: 'T-1',
          attempt: 1,
          agent_id: 'a1',
          started_at: 1,
          lease_expires_at: 2,
          last_heartbeat_at: 1,
          ended_at: 2,
          outcome: 'failed',
          error: 'boom',
          instance: 'i-1',
        },
        expect.objectContaining({ attempt: 2, outcome: 'running', instance: 'i-2', ended_at: null }),
      ]);
      // Lookups by message id use the (now partial) index and still find sent rows.
      expect(ledger.outbox.postedBySwarm('main', 'msg-7')).toBe(true);
      expect(ledger.outbox.taskOfMessage('main', 'msg-7')).toBe('T-1');
      const plan = ledger.db
        .prepare(
          'EXPLAIN QUERY PLAN SELECT task_id FROM outbox WHERE platform_message_id = ? AND channel = ? LIMIT 1',
        )
        .all('msg-7', 'main') as { detail: string }[];
      expect(plan.map((p) => p.detail).join()).toMatch(/USING (COVERING )?INDEX outbox_message/);
      // The running attempt completes through the rebuilt table, fenced as before.
      expect(ledger.complete({ taskId: 'T-1', attempt: 1, agentId: 'a1' }, 'late').ok).toBe(false);
      expect(ledger.complete({ taskId: 'T-1', attempt: 2, agentId: 'a1' }, 'done').ok).toBe(true);
      expect(
        ledger.db.prepare("SELECT outcome FROM attempts WHERE task_id = 'T-1' AND attempt = 2").get(),
      ).toEqual({ outcome: 'done' });
    } finally {
      ledger.close();
    }
  });

  it('leaves a pending row out of the message-id index (it has no message yet)', () => {
    const path = oldLedger(5, SEED_V5);
    const ledger = Ledger.open(path);
    try {
      const entries = ledger.db
        .prepare("SELECT sum(ncell) AS n FROM dbstat WHERE name = 'outbox_message' AND pagetype = 'leaf'")
        .get() as { n: number };
      // Two outbox rows, one sent: one index entry.
      expect(entries.n).toBe(1);
    } finally {
      ledger.close();
    }
  });
});

const SEED_V8 = `
  INSERT INTO tasks (id, seq, title, timeout_ms, max_attempts, status, created_by, created_at, updated_at)
    VALUES ('T-1', 1, 'old', 60000, 3, 'queued', 'cli', 1, 1);
  INSERT INTO events (seq, at, type, task_id, agent_id, actor, data, mirrored, prev_hash, hash)
    VALUES (1, 1, 'task_note', 'T-1', NULL, 'cli', '{"note":"x"}', 1, 'p', 'h');
  UPDATE kv SET value = '1' WHERE key = 'outbox_queued_seq';
  INSERT INTO outbox (channel, kind, event_seq, task_id, priority, payload, status, attempts, next_try_at,
                      platform_message_id, thread_id, merged_into, last_error, created_at, sent_at)
    VALUES ('main', 'detail', 1, 'T-1', 5, '{"text":"x"}', 'sent', 1, 0, 'msg-1', 'th-1', NULL, NULL, 1, 2),
           ('main', 'status', 1, 'T-1', 1, '{"text":""}', 'pending', 2, 9, NULL, NULL, NULL, 'busy', 1, NULL),
           ('main', 'reply', NULL, NULL, 2, '{"text":"hi"}', 'merged', 0, 0, NULL, NULL, 7, NULL, 3, NULL);
`;

describe('migration 9 on a version-8 ledger', () => {
  it('keeps every outbox row and index, and refuses an event’s row written as older code does', () => {
    const path = oldLedger(8, SEED_V8);
    const before = new Database(path);
    const rowsBefore = before.prepare('SELECT * FROM outbox ORDER BY id').all();
    before.close();
    const ledger = Ledger.open(path);
    try {
      expect(ledger.db.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
      // Every column of every row as it was, marked as the queue's.
      const rowsAfter = ledger.db.prepare('SELECT * FROM outbox ORDER BY id').all() as Record<
        string,
        unknown
      >[];
      expect(rowsAfter.map(({ via_queue, ...rest }) => (expect(via_queue).toBe(1), rest))).toEqual(
        rowsBefore,
      );
      const schema = ledger.db
        .prepare("SELECT type, name, sql FROM sqlite_master WHERE tbl_name = 'outbox' ORDER BY name")
        .all() as { type: string; name: string; sql: string }[];
      expect(schema.map((r) => `${r.type} ${r.name}`)).toEqual([
        'table outbox',
        'index outbox_message',
        'index outbox_pending',
        'index outbox_pending_status',
      ]);
      expect(schema.find((r) => r.name === 'outbox_message')!.sql).toMatch(
        /WHERE platform_message_id IS NOT NULL/,
      );
      // Migration 8's trigger is gone with the old table; the CHECK does its work.
      const oldStyle = ledger.db.prepare(
        "INSERT INTO outbox (channel, kind, event_seq, task_id, priority, payload, created_at) VALUES ('main', 'status', 2, 'T-1', 1, '{}', 1)",
      );
      expect(() => oldStyle.run()).toThrow(
        /CHECK constraint failed: an older chat-swarm process is writing to this ledger/,
      );
      // A row no event plans is still written the old way by nobody but allowed (no event to double).
      expect(() =>
        ledger.db
          .prepare(
            "INSERT INTO outbox (channel, kind, priority, payload, created_at) VALUES ('main', 'reply', 1, '{}', 1)",
          )
          .run(),
      ).not.toThrow();
      // The queue carries on from the cursor: the new event gets its rows, the old one none again.
      ledger.addNote('T-1', 'again', 'cli');
      ledger.outbox.queueEvents();
      const perEvent = ledger.db
        .prepare(
          'SELECT event_seq, count(*) AS n FROM outbox WHERE event_seq IS NOT NULL GROUP BY event_seq ORDER BY 1',
        )
        .all() as { event_seq: number; n: number }[];
      expect(perEvent[0]).toEqual({ event_seq: 1, n: 2 });
      expect(perEvent.length).toBe(2);
      expect(ledger.audit().problems.filter((p) => p.kind === 'mirror')).toEqual([]);
    } finally {
      ledger.close();
    }
  });
});
