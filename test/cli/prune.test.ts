import { existsSync, mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.ts';
import { Ledger } from '../../src/ledger/ledger.ts';
import { manualClock, tempDir } from '../support/temp-ledger.ts';
import { fakeIo } from './cli-process.ts';

const DAY = 86_400_000;

/** Sends every pending outbox row, as the poster would. */
function sendAll(ledger: Ledger): void {
  for (const row of ledger.outbox.due('main', 10_000)) ledger.outbox.markSent(row.id, `m-${row.id}`);
}

/**
 * A ledger whose first 60 days-old part is done with (an offline agent, a finished task, handled
 * inbox rows) next to what must stay (an agent holding a task, a paused agent, an open task's
 * messages, fresh rows and pending rows).
 */
function agedLedger(): { db: string; dir: string } {
  const dir = tempDir();
  const db = join(dir, 'swarm.db');
  const clock = manualClock(Date.now() - 60 * DAY);
  const old = Ledger.open(db, { synchronous: 'normal', clock });
  old.setChannels(['main']);
  for (const id of ['gone-001', 'holder-001', 'paused-001'])
    old.registerAgent({ id, skills: [], capacity: 1 });
  old.markAgentOffline('gone-001');
  old.pause('test', 'paused-001');
  old.createTask({ title: 'finished long ago' }, 'test');
  old.createTask({ title: 'still open' }, 'test');
  const claim = old.claimTask('T-1', { id: 'gone-001', skills: [] });
  if (claim.kind !== 'claimed') throw new Error('setup: no claim');
  old.complete({ taskId: 'T-1', attempt: claim.attempt, agentId: 'gone-001' }, 'done');
  if (old.claimTask('T-2', { id: 'holder-001', skills: [] }).kind !== 'claimed') throw new Error('setup');
  old.inbox.record({
    platform: 'p',
    chatId: 'c',
    messageId: 'old',
    channel: 'main',
    authorId: 'u',
  });
  old.inbox.setOutcome({ platform: 'p', chatId: 'c', messageId: 'old' }, 'replied', '/status');
  sendAll(old);
  old.close();
  const now = Ledger.open(db, { synchronous: 'normal' });
  now.setChannels(['main']);
  now.registerAgent({ id: 'fresh-001', skills: [], capacity: 1 });
  now.createTask({ title: 'new' }, 'test'); // its rows stay pending
  now.inbox.record({
    platform: 'p',
    chatId: 'c',
    messageId: 'new',
    channel: 'main',
    authorId: 'u',
  });
  now.inbox.setOutcome({ platform: 'p', chatId: 'c', messageId: 'new' }, 'ignored');
  now.close();
  return { db, dir };
}

const count = (db: string, table: string): number => {
  const l = Ledger.open(db, { readonly: true });
  try {
    return (l.db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n;
  } finally {
    l.close();
  }
};

describe('chat-swarm prune', () => {
  it('--dry-run says what would go and changes nothing', async () => {
    const { db } = agedLedger();
    const before = ['agents', 'inbox', 'outbox', 'events'].map((t) => count(db, t));
    const r = fakeIo();
    expect(await main(['prune', '--dry-run', '--json', '--db', db], r.io)).toBe(0);
    const report = JSON.parse(r.stdout()) as { agents: string[]; inboxRows: number; outboxRows: number };
    expect(report).toMatchObject({ dryRun: true, agents: ['gone-001'], inboxRows: 1 });
    expect(report.outboxRows).toBeGreaterThan(0);
    expect(['agents', 'inbox', 'outbox', 'events'].map((t) => count(db, t))).toEqual(before);
  });

  it('removes old offline agents, handled inbox rows and finished outbox rows, keeps events, and audit stays clean', async () => {
    const { db } = agedLedger();
    const events = count(db, 'events');
    const outbox = count(db, 'outbox');
    const r = fakeIo({ env: { USER: 'tester' } });
    expect(await main(['prune', '--db', db], r.io)).toBe(0);
    expect(r.stdout()).toMatch(/removed 1 offline agent\(s\): gone-001/);
    expect(r.stdout()).toMatch(/removed 1 inbox row\(s\) and \d+ outbox row\(s\)/);
    const ledger = Ledger.open(db, { readonly: true });
    expect(ledger.listAgents().map((a) => a.id)).toEqual(['fresh-001', 'holder-001', 'paused-001']);
    expect(count(db, 'inbox')).toBe(1);
    const left = ledger.db.prepare('SELECT task_id, status FROM outbox').all() as {
      task_id: string;
      status: string;
    }[];
    expect(left.length).toBeLessThan(outbox);
    expect(left.some((row) => row.task_id === 'T-1')).toBe(false); // finished: its messages went
    expect(left.some((row) => row.task_id === 'T-2')).toBe(true); // open: kept, a reply may still need them
    expect(left.filter((row) => row.task_id === 'T-3').every((row) => row.status === 'pending')).toBe(true);
    // Nothing of the chain was removed; the prune is one more event.
    expect(count(db, 'events')).toBe(events + 1);
    expect(ledger.events().at(-1)).toMatchObject({ type: 'ledger_pruned', actor: 'cli [tester]' });
    const audit = ledger.audit();
    expect(audit.problems.filter((p) => p.kind !== 'pending')).toEqual([]);
    ledger.close();
  });

  it('a second prune finds nothing more and records nothing', async () => {
    const { db } = agedLedger();
    await main(['prune', '--db', db], fakeIo().io);
    const events = count(db, 'events');
    const again = fakeIo();
    expect(await main(['prune', '--json', '--db', db], again.io)).toBe(0);
    expect(JSON.parse(again.stdout())).toMatchObject({ agents: [], inboxRows: 0, outboxRows: 0 });
    expect(count(db, 'events')).toBe(events);
  });

  it("removes demo ledgers older than the retention from the config's work folder, with their -wal, -shm and folder", async () => {
    const { db, dir } = agedLedger();
    const demo = join(dir, '.swarm-work', 'demo');
    mkdirSync(join(demo, 'demo-2020-01-01T00-00-00-000Z'), { recursive: true });
    const oldRun = join(demo, 'demo-2020-01-01T00-00-00-000Z.db');
    const newRun = join(demo, 'demo-2999-01-01T00-00-00-000Z.db');
    const legacy = join(dir, '.swarm-work', 'demo-2019-01-01T00-00-00-000Z.db');
    for (const file of [oldRun, `${oldRun}-wal`, `${oldRun}-shm`, newRun, legacy]) writeFileSync(file, '');
    const longAgo = new Date(Date.now() - 90 * DAY);
    for (const file of [oldRun, `${oldRun}-wal`, legacy]) utimesSync(file, longAgo, longAgo);
    const r = fakeIo({ cwd: dir });
    expect(await main(['prune', '--older-than', '60d', '--db', db], r.io)).toBe(0);
    expect(r.stdout()).toMatch(/removed 2 demo ledger\(s\)/);
    expect([oldRun, `${oldRun}-wal`, `${oldRun}-shm`, legacy].some(existsSync)).toBe(false);
    expect(existsSync(join(demo, 'demo-2020-01-01T00-00-00-000Z'))).toBe(false);
    expect(existsSync(newRun)).toBe(true);
  });

  it('refuses a bad retention (2) and a missing ledger (1)', async () => {
    const bad = fakeIo();
    expect(await main(['prune', '--older-than', 'ages', '--db', join(tempDir(), 'x.db')], bad.io)).toBe(2);
    expect(bad.stderr()).toMatch(/--older-than takes a duration like 90s, 10m, 2h or 1d/);
    const missing = fakeIo();
    expect(await main(['prune', '--db', join(tempDir(), 'x.db')], missing.io)).toBe(1);
    expect(missing.stderr()).toMatch(/no ledger at/);
  });
});
