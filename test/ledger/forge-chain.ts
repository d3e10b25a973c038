import type Database from 'better-sqlite3';
import type { AuditKey } from '../../src/ledger/audit-key.ts';
import { GENESIS_HASH, hashEvent } from '../../src/ledger/event-hash.ts';

interface Row {
  seq: number;
  at: number;
  type: string;
  task_id: string | null;
  agent_id: string | null;
  actor: string;
  data: string;
}

/**
 * What a forger with write access to the file does after editing events: renumbers nothing, but
 * recomputes every event's link and hash from the first one on, with SHA-256 (no key) or a key of
 * their own, so the plain chain check passes again.
 */
export function rehashChain(db: Database.Database, key?: AuditKey): void {
  const rows = db
    .prepare('SELECT seq, at, type, task_id, agent_id, actor, data FROM events ORDER BY seq')
    .all() as Row[];
  const update = db.prepare('UPDATE events SET prev_hash = ?, hash = ? WHERE seq = ?');
  let prev = GENESIS_HASH;
  db.transaction(() => {
    for (const r of rows) {
      const hash = hashEvent(
        prev,
        {
          seq: r.seq,
          at: r.at,
          type: r.type,
          taskId: r.task_id,
          agentId: r.agent_id,
          actor: r.actor,
          dataJson: r.data,
        },
        key,
      );
      update.run(prev, hash, r.seq);
      prev = hash;
    }
  })();
}
