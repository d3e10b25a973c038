import { statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createConsoleCheckpoint } from '../../adapters/console/console-checkpoint.ts';
import { main } from '../../src/cli/main.ts';
import { formatCheckpoint } from '../../src/ledger/audit-checkpoint.ts';
import { Ledger } from '../../src/ledger/ledger.ts';
import { rehashChain } from '../ledger/forge-chain.ts';
import { tempDir } from '../support/temp-ledger.ts';

const KEY = 'a-long-enough-audit-key-0123456789';

/** A console swarm's files: config, ledger path and work folder (where the checkpoint file lives). */
function setup() {
  const dir = tempDir('swarm-audit-cli-');
  const db = join(dir, 'swarm.db');
  const workDir = join(dir, 'work');
  const config = join(dir, 'chat-swarm.json');
  writeFileSync(config, JSON.stringify({ db, workDir, channel: { platform: 'console' } }));
  return { dir, db, config, checkpointFile: join(workDir, 'checkpoint.txt') };
}

async function run(args: string[], env: Record<string, string> = {}) {
  const out: string[] = [];
  const code = await main(args, { out: (t) => void out.push(t), err: (t) => void out.push(t), env });
  return { code, output: out.join('\n') };
}

function withLedger<T>(db: string, fn: (l: Ledger) => T, auditKey?: string): T {
  const l = Ledger.open(db, { synchronous: 'normal', ...(auditKey ? { auditKey } : {}) });
  try {
    return fn(l);
  } finally {
    l.close();
  }
}

async function checkpointNow(db: string, file: string): Promise<void> {
  const last = withLedger(db, (l) => l.events().at(-1)!);
  await createConsoleCheckpoint(file).publish(
    formatCheckpoint({ seq: last.seq, hash: last.hash, at: Date.now() }),
  );
}

describe('chat-swarm audit --channel / --checkpoint', () => {
  it('checks the ledger against the checkpoint the console keeps in the work folder', async () => {
    const s = setup();
    for (const title of ['one', 'two', 'three'])
      expect((await run(['task', 'add', title, '--config', s.config])).code).toBe(0);
    await checkpointNow(s.db, s.checkpointFile);
    expect(statSync(s.checkpointFile).mode & 0o777).toBe(0o600);

    const ok = await run(['audit', '--channel', '--config', s.config]);
    expect(ok.output).toMatch(/checkpoint from the console channel: event 3 \([0-9a-f]{12}…, written /);
    // Nothing was ever posted (no orchestrator ran), so only "not posted yet" keeps it from passing.
    expect(ok.output).toMatch(/FAILED: 0 problem\(s\)/);

    withLedger(s.db, (l) => l.db.prepare('DELETE FROM events WHERE seq = 3').run());
    withLedger(s.db, (l) => l.db.prepare("DELETE FROM tasks WHERE id = 'T-3'").run());
    const bad = await run(['audit', '--channel', '--config', s.config]);
    expect(bad.code).toBe(1);
    expect(bad.output).toMatch(
      /event 3: the checkpoint names event 3 but the ledger ends at event 2: newer events were deleted/,
    );
    // Without the anchor the same ledger looks fine.
    expect((await run(['audit', '--config', s.config])).output).toMatch(/FAILED: 0 problem\(s\)/);
  });

  it('fails when the channel holds no checkpoint, and takes one copied by hand', async () => {
    const s = setup();
    await run(['task', 'add', 'one', '--config', s.config]);
    const none = await run(['audit', '--channel', '--config', s.config]);
    expect(none.code).toBe(1);
    expect(none.output).toMatch(/no checkpoint in the console channel/);

    const last = withLedger(s.db, (l) => l.events().at(-1)!);
    const byHand = await run([
      'audit',
      '--checkpoint',
      `${last.seq}:${last.hash}`,
      '--json',
      '--config',
      s.config,
    ]);
    const report = JSON.parse(byHand.output) as { checkpoints: { source: string; eventsAfter: number }[] };
    expect(report.checkpoints).toEqual([expect.objectContaining({ source: '--checkpoint', eventsAfter: 0 })]);
    const wrong = await run(['audit', '--checkpoint', `${last.seq}:${'0'.repeat(64)}`, '--config', s.config]);
    expect(wrong.code).toBe(1);
    expect(wrong.output).toMatch(/were rewritten/);
    const typo = await run(['audit', '--checkpoint', '12:xyz', '--config', s.config]);
    expect(typo.code).toBe(2);
    expect(typo.output).toMatch(/--checkpoint takes SEQ:HASH/);
  });

  it('with SWARM_AUDIT_KEY: keys what the CLI writes, refuses writers without it, fails a rewrite', async () => {
    const s = setup();
    expect((await run(['task', 'add', 'keyed', '--config', s.config], { SWARM_AUDIT_KEY: KEY })).code).toBe(
      0,
    );
    const refused = await run(['task', 'add', 'plain', '--config', s.config]);
    expect(refused.code).toBe(1);
    expect(refused.output).toMatch(/keyed \(from event 1\): set SWARM_AUDIT_KEY/);
    const agent = await run([
      'agent',
      'a1',
      '--skills',
      'x',
      '--command',
      'true',
      '--until-idle',
      '--config',
      s.config,
    ]);
    expect(agent.code).toBe(1);
    expect(agent.output).toMatch(/set SWARM_AUDIT_KEY/);
    expect(`${refused.output}${agent.output}`).not.toContain(KEY);

    const keyed = await run(['audit', '--config', s.config], { SWARM_AUDIT_KEY: KEY });
    expect(keyed.output).toMatch(/chain keyed \(SWARM_AUDIT_KEY\) from event 1/);
    expect(keyed.output).toMatch(/FAILED: 0 problem\(s\)/);
    const keyless = await run(['audit', '--config', s.config]);
    expect(keyless.output).toMatch(/note: events 1–2 were written with SWARM_AUDIT_KEY/);

    withLedger(s.db, (l) => {
      l.db.prepare("UPDATE events SET data = replace(data, 'keyed', 'forged') WHERE seq = 2").run();
      l.db.prepare("UPDATE tasks SET title = 'forged'").run();
    });
    withLedger(s.db, (l) => rehashChain(l.db));
    const forged = await run(['audit', '--config', s.config], { SWARM_AUDIT_KEY: KEY });
    expect(forged.code).toBe(1);
    expect(forged.output).toMatch(/event 1: contents do not match the keyed hash/);
  });
});
