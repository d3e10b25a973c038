import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, LedgerError } from '../../src/core/errors.ts';
import { createAuditKey } from '../../src/ledger/audit-key.ts';
import { Ledger } from '../../src/ledger/ledger.ts';
import { tempDir } from '../support/temp-ledger.ts';
import { rehashChain } from './forge-chain.ts';

const KEY = 'correct horse battery staple 42';
const OTHER = 'another key that is long enough';

function open(path: string, auditKey?: string): Ledger {
  return Ledger.open(path, { synchronous: 'normal', ...(auditKey ? { auditKey } : {}) });
}

/** A ledger file with some history: `unkeyedTasks` written without the key, then more with it. */
function history(unkeyedTasks = 0): string {
  const path = join(tempDir(), 'swarm.db');
  if (unkeyedTasks > 0) {
    const plain = open(path);
    for (let i = 0; i < unkeyedTasks; i++) plain.createTask({ title: `plain ${i}` }, 'cli');
    plain.close();
  }
  const l = open(path, KEY);
  const t = l.createTask({ title: 'keyed work', review: true }, 'cli').task;
  const c = l.claimTask(t.id, { id: 'a1', skills: [] });
  if (c.kind !== 'claimed') throw new Error('claim');
  l.complete({ taskId: t.id, attempt: c.attempt, agentId: 'a1' }, 'the real result');
  l.close();
  return path;
}

function withLedger<T>(path: string, key: string | undefined, fn: (l: Ledger) => T): T {
  const l = open(path, key);
  try {
    return fn(l);
  } finally {
    l.close();
  }
}

const serious = (l: Ledger) => l.audit().problems.filter((p) => p.kind !== 'pending');

describe('the keyed chain (SWARM_AUDIT_KEY)', () => {
  it('marks where the chain becomes keyed and verifies keyed events with the key', () => {
    const path = history(2);
    withLedger(path, KEY, (l) => {
      const events = l.events();
      const marker = events.find((e) => e.type === 'chain_keyed')!;
      expect(marker.seq).toBe(3);
      expect(marker.data).toEqual({ keyId: createAuditKey(KEY).id });
      expect(events.filter((e) => e.type === 'chain_keyed')).toHaveLength(1);
      const report = l.audit();
      expect(serious(l)).toEqual([]);
      expect(report.keyedFrom).toBe(3);
    });
    // Without the key: links are checked, contents are not, and the report says so.
    withLedger(path, undefined, (l) => {
      expect(serious(l)).toEqual([]);
      expect(l.audit().notes.join('\n')).toMatch(/events 3–\d+ were written with SWARM_AUDIT_KEY/);
    });
  });

  it('fails a consistent rewrite of the chain made without the key', () => {
    const path = history(2);
    withLedger(path, undefined, (l) => {
      l.db.prepare("UPDATE events SET data = replace(data, 'the real result', 'a forged result')").run();
      l.db.prepare("UPDATE tasks SET result = 'a forged result' WHERE result IS NOT NULL").run();
      rehashChain(l.db); // SHA-256 all through, as a forger without the key would
      expect(serious(l)).toEqual([]); // a key-less audit cannot tell
    });
    withLedger(path, KEY, (l) => {
      const problems = serious(l);
      expect(problems.some((p) => p.kind === 'chain' && /keyed hash/.test(p.problem))).toBe(true);
    });
  });

  it('fails a rewrite with a key of the forger’s own, and one that drops the keyed section', () => {
    const forged = history(1);
    withLedger(forged, undefined, (l) => {
      l.db
        .prepare("UPDATE events SET data = json_set(data, '$.keyId', ?) WHERE type = 'chain_keyed'")
        .run(createAuditKey(OTHER).id);
      rehashChain(l.db, createAuditKey(OTHER));
    });
    withLedger(forged, KEY, (l) =>
      expect(
        serious(l)
          .map((p) => p.problem)
          .join('\n'),
      ).toMatch(/keyed with another key/),
    );

    const dropped = history(1);
    withLedger(dropped, undefined, (l) => {
      const keyedFrom = l.events().find((e) => e.type === 'chain_keyed')!.seq;
      l.db.prepare("DELETE FROM events WHERE type = 'chain_keyed'").run();
      l.db.prepare('UPDATE events SET seq = seq - 1 WHERE seq > ?').run(keyedFrom);
      rehashChain(l.db);
    });
    withLedger(dropped, KEY, (l) =>
      expect(
        serious(l)
          .map((p) => p.problem)
          .join('\n'),
      ).toMatch(/no event was written with a key/),
    );
  });

  it('covers the events before keying too: the first keyed hash chains over them', () => {
    const path = history(3);
    withLedger(path, undefined, (l) => {
      l.db.prepare("UPDATE events SET data = replace(data, 'plain 0', 'forged 0') WHERE seq = 1").run();
      l.db.prepare("UPDATE tasks SET title = 'forged 0' WHERE id = 'T-1'").run();
      rehashChain(l.db);
    });
    withLedger(path, KEY, (l) => {
      const problems = serious(l);
      expect(problems.map((p) => p.seq)).toContain(4); // the chain_keyed event no longer verifies
    });
  });

  it('refuses writes that would break a keyed chain, with a clear error that never shows the key', () => {
    const path = history(1);
    withLedger(path, undefined, (l) => {
      expect(() => l.createTask({ title: 'x' }, 'cli')).toThrow(LedgerError);
      expect(() => l.assertCanWrite()).toThrow(/keyed \(from event 2\): set SWARM_AUDIT_KEY/);
      expect(l.listTasks()).toHaveLength(2); // nothing was written
    });
    withLedger(path, OTHER, (l) => {
      let message = '';
      try {
        l.createTask({ title: 'x' }, 'cli');
      } catch (err) {
        message = (err as Error).message;
      }
      expect(message).toMatch(
        /keyed with another key \(key id [0-9a-f]{16}; SWARM_AUDIT_KEY has key id [0-9a-f]{16}\)/,
      );
      expect(message).not.toContain(OTHER);
      expect(message).not.toContain(KEY);
    });
    withLedger(path, KEY, (l) => {
      l.createTask({ title: 'fine' }, 'cli');
      expect(serious(l)).toEqual([]);
    });
  });

  it('fails the audit when the key is set but the ledger was never keyed', () => {
    const path = join(tempDir(), 'swarm.db');
    withLedger(path, undefined, (l) => l.createTask({ title: 'plain' }, 'cli'));
    withLedger(path, KEY, (l) => expect(serious(l).map((p) => p.kind)).toEqual(['key']));
  });

  it('does not remember a keyed marker whose transaction rolled back', () => {
    const path = join(tempDir(), 'swarm.db');
    withLedger(path, KEY, (l) => {
      expect(() => l.createTask({ title: 'bad', dependsOn: ['T-404'] }, 'cli')).toThrow(LedgerError);
      l.createTask({ title: 'good' }, 'cli');
      expect(l.events().map((e) => e.type)).toEqual(['chain_keyed', 'task_created']);
      expect(serious(l)).toEqual([]);
    });
  });

  it('refuses a short key before opening anything, without echoing it', () => {
    const path = join(tempDir(), 'swarm.db');
    expect(() => open(path, 'short-secret')).toThrow(ConfigError);
    expect(() => open(path, 'short-secret')).not.toThrow(/short-secret/);
  });
});
