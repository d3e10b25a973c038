import type Database from 'better-sqlite3';
import type { AuditKey } from './audit-key.ts';
import { GENESIS_HASH, hashEvent } from './event-hash.ts';
import { chainKeyedOf } from './ledger-core.ts';

/** A row of the events table as better-sqlite3 returns it. */
export interface EventRow {
  seq: number;
  at: number;
  type: string;
  task_id: string | null;
  agent_id: string | null;
  actor: string;
  data: string;
  mirrored: number;
  prev_hash: string;
  hash: string;
}

/** What walking the chain found. */
export interface ChainCheck {
  events: number;
  problems: { seq: number | null; kind: 'chain' | 'key'; problem: string }[];
  /** Things the walk could not verify, and why. */
  notes: string[];
  /** First keyed event (`chain_keyed`), or null when the chain was never keyed. */
  keyedFrom: number | null;
  /** The newest event, or undefined for an empty log. */
  head: { seq: number; hash: string } | undefined;
}

/**
 * Walks the event log in order, checking numbering, links and each event's hash: SHA-256 before the
 * `chain_keyed` event, HMAC-SHA256 with `key` from it on. Without the key, keyed events' links are
 * checked but not their contents. Each event is handed to `visit` (the replay) as it goes.
 */
export function checkChain(
  db: Database.Database,
  key: AuditKey | undefined,
  visit: (row: EventRow) => void,
): ChainCheck {
  const problems: ChainCheck['problems'] = [];
  const notes: string[] = [];
  const keyed = chainKeyedOf(db);
  let macKey: AuditKey | undefined;
  if (key && !keyed) {
    problems.push({
      seq: null,
      kind: 'key',
      problem:
        'SWARM_AUDIT_KEY is set but no event was written with a key (no chain_keyed event): the ledger was never written with the key, or its keyed events were removed and the chain rewritten',
    });
  } else if (key && keyed && keyed.keyId !== key.id) {
    problems.push({
      seq: keyed.seq,
      kind: 'key',
      problem: `the chain is keyed with another key (key id ${keyed.keyId}; SWARM_AUDIT_KEY has key id ${key.id}): keyed events were not verified`,
    });
  } else if (key) {
    macKey = key;
  }

  let prevHash = GENESIS_HASH;
  let expectedSeq = 1;
  let events = 0;
  let unverified = 0;
  let head: ChainCheck['head'];
  for (const row of db.prepare('SELECT * FROM events ORDER BY seq').iterate() as IterableIterator<EventRow>) {
    events++;
    if (row.seq !== expectedSeq)
      problems.push({
        seq: row.seq,
        kind: 'chain',
        problem: `expected event ${expectedSeq} here: events are missing`,
      });
    if (row.prev_hash !== prevHash)
      problems.push({ seq: row.seq, kind: 'chain', problem: 'previous-hash link broken' });
    const isKeyed = keyed !== undefined && row.seq >= keyed.seq;
    if (isKeyed && !macKey) unverified++;
    else {
      const computed = hashEvent(
        row.prev_hash,
        {
          seq: row.seq,
          at: row.at,
          type: row.type,
          taskId: row.task_id,
          agentId: row.agent_id,
          actor: row.actor,
          dataJson: row.data,
        },
        isKeyed ? macKey : undefined,
      );
      if (computed !== row.hash)
        problems.push({
          seq: row.seq,
          kind: 'chain',
          problem: isKeyed
            ? 'contents do not match the keyed hash (edited or written without the audit key)'
            : 'contents do not match the hash (edited after the fact?)',
        });
    }
    visit(row);
    prevHash = row.hash;
    expectedSeq = row.seq + 1;
    head = { seq: row.seq, hash: row.hash };
  }
  if (unverified > 0 && keyed && !key) {
    notes.push(
      `events ${keyed.seq}–${expectedSeq - 1} were written with SWARM_AUDIT_KEY: without the key only their numbering and links were checked, not their contents; set SWARM_AUDIT_KEY to verify them`,
    );
  }
  return { events, problems, notes, keyedFrom: keyed?.seq ?? null, head };
}
