import type Database from 'better-sqlite3';

/**
 * Numbered schema migrations, applied in order on open. `PRAGMA user_version` records the last one
 * applied, so a ledger created by an older chat-swarm is upgraded in place. Never edit a shipped
 * migration; add a new one.
 */
export const MIGRATIONS: readonly string[] = [
  // 1: the initial schema.
  `
  CREATE TABLE tasks (
    id               TEXT PRIMARY KEY,
    seq              INTEGER NOT NULL UNIQUE,
    title            TEXT NOT NULL,
    body             TEXT NOT NULL DEFAULT '',
    skills           TEXT NOT NULL DEFAULT '[]',
    priority         INTEGER NOT NULL DEFAULT 5,
    review           INTEGER NOT NULL DEFAULT 0,
    timeout_ms       INTEGER NOT NULL,
    max_attempts     INTEGER NOT NULL,
    attempts_base    INTEGER NOT NULL DEFAULT 0,
    status           TEXT NOT NULL,
    attempt          INTEGER NOT NULL DEFAULT 0,
    owner            TEXT,
    assignee         TEXT,
    lease_expires_at INTEGER,
    not_before       INTEGER NOT NULL DEFAULT 0,
    deps_pending     INTEGER NOT NULL DEFAULT 0,
    progress_pct     INTEGER,
    progress_text    TEXT,
    question         TEXT,
    answer           TEXT,
    result           TEXT,
    last_error       TEXT,
    waiting_reason   TEXT,
    notes            TEXT NOT NULL DEFAULT '[]',
    created_by       TEXT NOT NULL,
    idempotency_key  TEXT UNIQUE,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL
  );
  CREATE INDEX tasks_ready ON tasks (priority DESC, seq) WHERE status = 'queued' AND deps_pending = 0;
  CREATE INDEX tasks_leased ON tasks (lease_expires_at) WHERE status IN ('claimed', 'blocked');

  CREATE TABLE task_deps (
    task_id    TEXT NOT NULL REFERENCES tasks(id),
    depends_on TEXT NOT NULL REFERENCES tasks(id),
    PRIMARY KEY (task_id, depends_on)
  );
  CREATE INDEX task_deps_reverse ON task_deps (depends_on);

  CREATE TABLE attempts (
    task_id           TEXT NOT NULL REFERENCES tasks(id),
    attempt           INTEGER NOT NULL,
    agent_id          TEXT NOT NULL,
    started_at        INTEGER NOT NULL,
    lease_expires_at  INTEGER NOT NULL,
    last_heartbeat_at INTEGER NOT NULL,
    ended_at          INTEGER,
    outcome           TEXT NOT NULL DEFAULT 'running',
    error             TEXT,
    PRIMARY KEY (task_id, attempt)
  );

  CREATE TABLE agents (
    id                TEXT PRIMARY KEY,
    skills            TEXT NOT NULL DEFAULT '[]',
    capacity          INTEGER NOT NULL DEFAULT 1,
    status            TEXT NOT NULL DEFAULT 'active',
    last_heartbeat_at INTEGER,
    pid               INTEGER,
    registered_at     INTEGER NOT NULL
  );

  CREATE TABLE events (
    seq       INTEGER PRIMARY KEY,
    at        INTEGER NOT NULL,
    type      TEXT NOT NULL,
    task_id   TEXT,
    agent_id  TEXT,
    actor     TEXT NOT NULL,
    data      TEXT NOT NULL,
    mirrored  INTEGER NOT NULL DEFAULT 0,
    prev_hash TEXT NOT NULL,
    hash      TEXT NOT NULL
  );
  CREATE INDEX events_task ON events (task_id, seq);

  CREATE TABLE outbox (
    id                  INTEGER PRIMARY KEY,
    channel             TEXT NOT NULL,
    kind                TEXT NOT NULL,
    event_seq           INTEGER,
    task_id             TEXT,
    priority            INTEGER NOT NULL,
    payload             TEXT NOT NULL,
    status              TEXT NOT NULL DEFAULT 'pending',
    attempts            INTEGER NOT NULL DEFAULT 0,
    next_try_at         INTEGER NOT NULL DEFAULT 0,
    platform_message_id TEXT,
    thread_id           TEXT,
    merged_into         INTEGER,
    last_error          TEXT,
    created_at          INTEGER NOT NULL,
    sent_at             INTEGER
  );
  CREATE INDEX outbox_pending ON outbox (channel, priority, id) WHERE status = 'pending';
  CREATE INDEX outbox_pending_status ON outbox (task_id, channel) WHERE status = 'pending' AND kind = 'status';
  CREATE INDEX outbox_event ON outbox (event_seq);
  CREATE INDEX outbox_message ON outbox (platform_message_id);

  CREATE TABLE task_messages (
    task_id    TEXT NOT NULL,
    channel    TEXT NOT NULL,
    message_id TEXT NOT NULL,
    thread_id  TEXT,
    closed     INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (task_id, channel)
  );

  CREATE TABLE inbox (
    platform    TEXT NOT NULL,
    chat_id     TEXT NOT NULL,
    message_id  TEXT NOT NULL,
    channel     TEXT NOT NULL,
    author_id   TEXT NOT NULL,
    text        TEXT NOT NULL,
    received_at INTEGER NOT NULL,
    outcome     TEXT,
    PRIMARY KEY (platform, chat_id, message_id)
  );

  CREATE TABLE kv (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
  );
  `,
  // 2: finds where the event chain became keyed (SWARM_AUDIT_KEY) without scanning every event.
  `CREATE INDEX events_chain_keyed ON events (seq) WHERE type = 'chain_keyed';`,
  // 3: schedules (recurring tasks) and the record of every slot they fired, skipped or missed.
  `
  CREATE TABLE schedules (
    id             TEXT PRIMARY KEY,
    source         TEXT NOT NULL,
    definition     TEXT NOT NULL,
    status         TEXT NOT NULL DEFAULT 'active',
    cursor_at      INTEGER NOT NULL,
    created_by     TEXT NOT NULL,
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL,
    removed_reason TEXT
  );

  CREATE TABLE schedule_fires (
    id          INTEGER PRIMARY KEY,
    schedule_id TEXT NOT NULL,
    slot_at     INTEGER NOT NULL,
    kind        TEXT NOT NULL,
    outcome     TEXT NOT NULL,
    task_id     TEXT,
    detail      TEXT,
    at          INTEGER NOT NULL
  );
  CREATE UNIQUE INDEX schedule_fires_slot ON schedule_fires (schedule_id, slot_at) WHERE kind = 'slot';
  CREATE INDEX schedule_fires_recent ON schedule_fires (schedule_id, id);
  `,
  // 4: which process runs an agent (one live process per agent id) and which process made each
  // claim, so a restarted agent releases its predecessor's claims at once instead of waiting a lease.
  `
  ALTER TABLE agents ADD COLUMN instance TEXT;
  ALTER TABLE agents ADD COLUMN host TEXT;
  ALTER TABLE agents ADD COLUMN started_at INTEGER;
  ALTER TABLE attempts ADD COLUMN instance TEXT;
  `,
  // 5: usage and cost per attempt (`::usage`, presets), the CLI session of each attempt, task budgets
  // (`budget=`) and the daily budget holds that stop an agent (or the swarm) from claiming.
  `
  CREATE TABLE attempt_usage (
    task_id             TEXT NOT NULL,
    attempt             INTEGER NOT NULL,
    day                 TEXT NOT NULL,
    agent_id            TEXT NOT NULL,
    input_tokens        INTEGER NOT NULL DEFAULT 0,
    output_tokens       INTEGER NOT NULL DEFAULT 0,
    cached_input_tokens INTEGER NOT NULL DEFAULT 0,
    cost_usd            REAL NOT NULL DEFAULT 0,
    model               TEXT,
    reports             INTEGER NOT NULL DEFAULT 0,
    updated_at          INTEGER NOT NULL,
    PRIMARY KEY (task_id, attempt, day)
  );
  CREATE INDEX attempt_usage_agent_day ON attempt_usage (agent_id, day);
  CREATE INDEX attempt_usage_day ON attempt_usage (day);

  CREATE TABLE attempt_sessions (
    task_id    TEXT NOT NULL,
    attempt    INTEGER NOT NULL,
    session_id TEXT NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (task_id, attempt)
  );

  CREATE TABLE task_budgets (
    task_id    TEXT PRIMARY KEY,
    usd        REAL,
    tokens     INTEGER
  );

  CREATE TABLE budget_holds (
    scope   TEXT NOT NULL,
    subject TEXT NOT NULL,
    day     TEXT NOT NULL,
    reason  TEXT NOT NULL,
    at      INTEGER NOT NULL,
    PRIMARY KEY (scope, subject, day)
  );
  `,
  // 6: fewer pages written per state change (a page is most of what a commit costs). Attempts are
  // kept in their primary key's order (no rowid, so no second b-tree to update); the outbox's
  // message-id index holds sent rows only (a pending row has no message id yet); and the outbox has
  // no index on event_seq any more (only the audit reads by event, in one ordered pass).
  `
  CREATE TABLE attempts_by_key (
    task_id           TEXT NOT NULL REFERENCES tasks(id),
    attempt           INTEGER NOT NULL,
    agent_id          TEXT NOT NULL,
    started_at        INTEGER NOT NULL,
    lease_expires_at  INTEGER NOT NULL,
    last_heartbeat_at INTEGER NOT NULL,
    ended_at          INTEGER,
    outcome           TEXT NOT NULL DEFAULT 'running',
    error             TEXT,
    instance          TEXT,
    PRIMARY KEY (task_id, attempt)
  ) WITHOUT ROWID;
  INSERT INTO attempts_by_key
    SELECT task_id, attempt, agent_id, started_at, lease_expires_at, last_heartbeat_at, ended_at, outcome, error, instance
    FROM attempts;
  DROP TABLE attempts;
  ALTER TABLE attempts_by_key RENAME TO attempts;

  DROP INDEX outbox_message;
  CREATE INDEX outbox_message ON outbox (platform_message_id) WHERE platform_message_id IS NOT NULL;
  DROP INDEX outbox_event;
  `,
  // 7: a reply or a message in a thread is matched to its task by the task's main message or thread
  // in that channel, without scanning every task's messages (a Telegram forum topic sends its id with
  // every message). Written once per task message, never in an agent's state change.
  `
  CREATE INDEX task_messages_message ON task_messages (channel, message_id);
  CREATE INDEX task_messages_thread ON task_messages (channel, thread_id) WHERE thread_id IS NOT NULL;
  `,
  // 8: a state change commits its event only; the outbox rows are queued from the events later, in
  // batches (outbox-queue.ts), up to this cursor. Every event so far already has its rows. The
  // trigger refuses an event's row past the cursor: only a process still running an older
  // chat-swarm (opened before this migration) writes one, and it would be queued again, posting
  // every message twice. Its writes fail with the reason instead, until it is restarted.
  `
  INSERT OR REPLACE INTO kv (key, value) SELECT 'outbox_queued_seq', CAST(COALESCE(MAX(seq), 0) AS TEXT) FROM events;
  CREATE TRIGGER outbox_rows_from_queue BEFORE INSERT ON outbox
    WHEN NEW.event_seq IS NOT NULL
      AND NEW.event_seq > (SELECT CAST(value AS INTEGER) FROM kv WHERE key = 'outbox_queued_seq')
    BEGIN
      SELECT RAISE(ABORT, 'an older chat-swarm process is writing to this ledger, which a newer one has upgraded: restart every chat-swarm process on it');
    END;
  `,
  // 9: the guard as a CHECK on a column every row the queue writes sets (via_queue), instead of
  // migration 8's trigger: SQLite runs a trigger as a program of its own for every row inserted,
  // about a tenth of what queueing an event cost (callgrind); a CHECK is a test inside the INSERT.
  // It is broader: a process that writes an event's row without the column fails with the
  // constraint's name as its reason, until it is restarted, and that includes an orchestrator
  // running migration 8's code (which honoured the cursor; a CHECK cannot tell the two apart).
  // The table is rebuilt (SQLite adds a CHECK to an existing table only that way); its indexes
  // are as before.
  `
  CREATE TABLE outbox_checked (
    id                  INTEGER PRIMARY KEY,
    channel             TEXT NOT NULL,
    kind                TEXT NOT NULL,
    event_seq           INTEGER,
    task_id             TEXT,
    priority            INTEGER NOT NULL,
    payload             TEXT NOT NULL,
    status              TEXT NOT NULL DEFAULT 'pending',
    attempts            INTEGER NOT NULL DEFAULT 0,
    next_try_at         INTEGER NOT NULL DEFAULT 0,
    platform_message_id TEXT,
    thread_id           TEXT,
    merged_into         INTEGER,
    last_error          TEXT,
    created_at          INTEGER NOT NULL,
    sent_at             INTEGER,
    via_queue           INTEGER NOT NULL DEFAULT 0,
    CONSTRAINT "an older chat-swarm process is writing to this ledger, which a newer one has upgraded: restart every chat-swarm process on it"
      CHECK (event_seq IS NULL OR via_queue = 1)
  );
  INSERT INTO outbox_checked (id, channel, kind, event_seq, task_id, priority, payload, status, attempts,
      next_try_at, platform_message_id, thread_id, merged_into, last_error, created_at, sent_at, via_queue)
    SELECT id, channel, kind, event_seq, task_id, priority, payload, status, attempts,
      next_try_at, platform_message_id, thread_id, merged_into, last_error, created_at, sent_at, 1
    FROM outbox;
  DROP TABLE outbox;
  ALTER TABLE outbox_checked RENAME TO outbox;
  CREATE INDEX outbox_pending ON outbox (channel, priority, id) WHERE status = 'pending';
  CREATE INDEX outbox_pending_status ON outbox (task_id, channel) WHERE status = 'pending' AND kind = 'status';
  CREATE INDEX outbox_message ON outbox (platform_message_id) WHERE platform_message_id IS NOT NULL;
  `,
];

/** Applies every migration newer than the file's `user_version`, each in its own transaction. */
export function migrate(db: Database.Database): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > MIGRATIONS.length) {
    throw new Error(
      `ledger schema version ${current} is newer than this chat-swarm understands (${MIGRATIONS.length}); upgrade chat-swarm`,
    );
  }
  for (let version = current; version < MIGRATIONS.length; version++) {
    const sql = MIGRATIONS[version]!;
    db.transaction(() => {
      // Another process opening the same new ledger may have applied it while we waited for the lock.
      if ((db.pragma('user_version', { simple: true }) as number) > version) return;
      db.exec(sql);
      db.pragma(`user_version = ${version + 1}`);
    }).immediate();
  }
}
