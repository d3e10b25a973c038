import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../src/core/logger.ts';
import { Ledger } from '../../../src/ledger/ledger.ts';
import { collect, spawnTs } from '../../support/spawn-ts.ts';
import { tempDir } from '../../support/temp-ledger.ts';
import { startSwarmFake, startSwarmOnDiscord, TOKENS } from './discord-swarm-kit.ts';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

interface OutboxRowState {
  id: number;
  status: string;
  platform_message_id: string | null;
}

describe('an orchestrator on Discord killed between the post and recording its id', () => {
  it('leaves one message after the restart, and the ledger learns its id through the nonce', async () => {
    const fake = await startSwarmFake();
    cleanups.push(() => fake.close());
    const db = join(tempDir(), 'swarm.db');
    const title = 'posted across a crash';
    const postPath = `/api/v10/channels/${fake.channelId}/messages`;
    const orchestratorId = fake.bot('orchestrator').id;

    const child = spawnTs(
      'test/support/processes/discord-crashing-orchestrator.ts',
      [db, fake.apiBase, fake.channelId, title],
      { DISCORD_BOT_TOKEN: TOKENS.orchestrator },
    );
    const exited = new Promise((resolve) => child.once('exit', resolve));
    cleanups.push(() => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    });
    // Set in the same tick as the spawn, so it is in place before the child can send anything.
    // Discord has created the message when this runs; its answer never reaches the child.
    let killedAtPost = false;
    fake.beforeReply = async (record) => {
      if (killedAtPost || record.method !== 'POST' || record.path !== postPath) return;
      if (record.botId !== orchestratorId) return;
      killedAtPost = true;
      child.kill('SIGKILL');
      await exited;
    };
    const crashed = await collect(child);
    expect(crashed.signal, crashed.stderr).toBe('SIGKILL');
    expect(killedAtPost).toBe(true);
    fake.beforeReply = undefined;

    // Discord has the message; the ledger still thinks it was never posted.
    const created = fake.transcript();
    expect(created).toHaveLength(1);
    const messageId = created[0]!.id;
    const nonce = created[0]!.nonce!;
    const ledger = Ledger.open(db, { synchronous: 'normal' });
    cleanups.push(() => ledger.close());
    const rowId = Number(nonce.split('-').at(-1));
    const row = () =>
      ledger.db
        .prepare('SELECT id, status, platform_message_id FROM outbox WHERE id = ?')
        .get(rowId) as OutboxRowState;
    expect(row()).toEqual({ id: rowId, status: 'pending', platform_message_id: null });
    expect(ledger.outbox.taskMessage('T-1', 'main')).toBeUndefined();

    // A new orchestrator on the same ledger posts the row again with the same nonce.
    const swarm = await startSwarmOnDiscord(fake, ledger, silentLogger);
    cleanups.push(() => swarm.stop());
    expect(await swarm.orchestrator.poster.drain(30_000)).toBe(0);

    expect(fake.messagesDedupedByNonce).toBeGreaterThanOrEqual(1);
    const withTitle = fake.transcript().filter((m) => m.content.includes(title));
    expect(withTitle.map((m) => m.id)).toEqual([messageId]);
    expect(row()).toEqual({ id: rowId, status: 'sent', platform_message_id: messageId });
    expect(ledger.outbox.taskMessage('T-1', 'main')?.messageId).toBe(messageId);

    // Later changes edit that very message instead of posting a second one.
    ledger.cancel('T-1', 'test', 'checking the edit');
    expect(await swarm.orchestrator.poster.drain(30_000)).toBe(0);
    const after = fake.transcript().filter((m) => m.content.includes(title));
    expect(after.map((m) => m.id)).toEqual([messageId]);
    expect(after[0]!.edits).toBeGreaterThanOrEqual(1);
    expect(after[0]!.content).toContain('🛑');
    expect(fake.counters.served429).toBe(0);
    expect(fake.unknownRoutes).toEqual([]);
    expect(ledger.audit().problems).toEqual([]);
  }, 90_000);
});
