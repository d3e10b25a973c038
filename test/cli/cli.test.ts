import Database from 'better-sqlite3';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.ts';
import { tempDir } from '../support/temp-ledger.ts';

function io(env: Record<string, string> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  return {
    io: { out: (t: string) => out.push(t), err: (t: string) => err.push(t), env: { ...env } },
    out,
    err,
  };
}

describe('chat-swarm CLI', () => {
  it('adds tasks idempotently by key, lists, shows and cancels them', async () => {
    const db = join(tempDir(), 'swarm.db');
    const a = io();
    expect(
      await main(['task', 'add', 'Write', 'docs', '--skills', 'docs', '--key', 'DOC-1', '--db', db], a.io),
    ).toBe(0);
    expect(a.out).toEqual(['created DOC-1']);
    const b = io();
    expect(await main(['task', 'add', 'Write', 'docs', '--key', 'DOC-1', '--db', db, '--json'], b.io)).toBe(
      0,
    );
    expect(JSON.parse(b.out[0]!)).toMatchObject({ created: false, task: { id: 'DOC-1', skills: ['docs'] } });
    const list = io();
    await main(['task', 'list', '--db', db, '--json'], list.io);
    expect(JSON.parse(list.out[0]!)).toHaveLength(1);
    const show = io();
    expect(await main(['task', 'show', 'DOC-1', '--db', db], show.io)).toBe(0);
    expect(show.out[0]).toMatch(/DOC-1 · Write docs/);
    expect(await main(['task', 'cancel', 'DOC-1', '--reason', 'dup', '--db', db], io().io)).toBe(0);
    const again = io();
    expect(await main(['task', 'cancel', 'DOC-1', '--db', db], again.io)).toBe(1);
    expect(again.err[0]).toMatch(/already cancelled/);
  });

  it('rejects bad task options with the reason and usage, and unknown commands with help', async () => {
    const db = join(tempDir(), 'swarm.db');
    const bad = io();
    expect(await main(['task', 'add', 'x', '--priority', 'high', '--db', db], bad.io)).toBe(2);
    expect(bad.err[0]).toMatch(/priority must be a whole number/);
    const unknown = io();
    expect(await main(['frobnicate'], unknown.io)).toBe(2);
    expect(unknown.err[0]).toMatch(/unknown command 'frobnicate'/);
    const flag = io();
    expect(await main(['status', '--nope'], flag.io)).toBe(2);
  });

  it('shows status as JSON and exports the event log as JSON lines', async () => {
    const dir = tempDir();
    const db = join(dir, 'swarm.db');
    await main(['task', 'add', 'One', '--db', db], io().io);
    const status = io();
    expect(await main(['status', '--db', db, '--json'], status.io)).toBe(0);
    expect(JSON.parse(status.out[0]!)).toMatchObject({ counts: { queued: 1 } });
    const out = join(dir, 'export.jsonl');
    expect(await main(['export', '--db', db, '--out', out], io().io)).toBe(0);
    const lines = readFileSync(out, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { kind: string });
    expect(lines.map((l) => l.kind)).toEqual(['event', 'task']);
  });

  it('says where the ledger is missing instead of creating one for status and audit', async () => {
    const db = join(tempDir(), 'nothing-here.db');
    const r = io();
    expect(await main(['audit', '--db', db], r.io)).toBe(1);
    expect(r.err[0]).toMatch(/no ledger at/);
    expect(existsSync(db)).toBe(false);
  });

  it('writes a starter config that loads, and refuses to overwrite it', async () => {
    const file = join(tempDir(), 'chat-swarm.json');
    expect(await main(['init', file], io().io)).toBe(0);
    const again = io();
    expect(await main(['init', file], again.io)).toBe(2);
    expect(again.err[0]).toMatch(/--force/);
    const status = io();
    expect(await main(['status', '--config', file, '--db', join(tempDir(), 'x.db')], status.io)).toBe(1);
    expect(status.err[0]).toMatch(/no ledger/);
  });

  it('fails a broken config with the field and the fix, exit 2', async () => {
    const r = io({ SWARM_CONFIG: '/definitely/missing.json' });
    expect(await main(['status'], r.io)).toBe(2);
    expect(r.err[0]).toMatch(/config error: .*chat-swarm init/);
  });

  it("prints each command's usage for --help, exit 0", async () => {
    for (const cmd of ['up', 'agent', 'task', 'status', 'audit', 'export', 'init', 'doctor', 'demo']) {
      const r = io();
      expect(await main([cmd, '--help'], r.io)).toBe(0);
      expect(r.out.join('\n')).toMatch(new RegExp(`chat-swarm ${cmd}`));
    }
  });

  it('treats a request the ledger refuses as a problem (exit 1), not a crash', async () => {
    const db = join(tempDir(), 'swarm.db');
    const r = io();
    expect(await main(['task', 'add', 'x', '--after', 'T-99', '--db', db], r.io)).toBe(1);
    expect(r.err.join('\n')).toMatch(/T-99 does not exist/);
  });

  it('does not create a ledger for commands that only read it', async () => {
    const db = join(tempDir(), 'typo.db');
    for (const args of [['list'], ['show', 'T-1'], ['wait', 'T-1'], ['artifacts', 'T-1']]) {
      const r = io();
      expect(await main(['task', ...args, '--db', db], r.io)).toBe(1);
      expect(r.err[0]).toMatch(/no ledger at/);
    }
    expect(existsSync(db)).toBe(false);
  });

  it('reports an export file it cannot write with one line, exit 3', async () => {
    const db = join(tempDir(), 'swarm.db');
    await main(['task', 'add', 'One', '--db', db], io().io);
    const r = io();
    expect(await main(['export', '--db', db, '--out', '/nonexistent-dir/x.jsonl'], r.io)).toBe(3);
    expect(r.err[0]).toMatch(/cannot write \/nonexistent-dir\/x.jsonl: ENOENT/);
  });

  it('exports a ledger with a damaged event whole: the stored text kept, the damage named', async () => {
    const db = join(tempDir(), 'swarm.db');
    await main(['task', 'add', 'One', '--db', db], io().io);
    await main(['task', 'add', 'Two', '--db', db], io().io);
    const raw = new Database(db);
    raw.prepare("UPDATE events SET data = '{cut' WHERE seq = 1").run();
    raw.close();
    const r = io();
    expect(await main(['export', '--db', db], r.io)).toBe(0);
    const lines = r.out.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.filter((l) => l.kind === 'event')).toHaveLength(2);
    expect(lines[0]).toMatchObject({ kind: 'event', seq: 1, data: {}, damagedData: '{cut' });
    expect(lines[1]).not.toHaveProperty('damagedData');
    expect(lines.filter((l) => l.kind === 'task')).toHaveLength(2);
    expect(r.err).toEqual([
      expect.stringMatching(/^event 1: its data is not a JSON object; exported as damagedData/),
    ]);
  });
});
