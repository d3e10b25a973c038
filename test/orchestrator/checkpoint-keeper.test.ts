import { describe, expect, it } from 'vitest';
import { createMemoryChannel, type MemoryChannel } from '../../src/chat/memory-channel.ts';
import { ChatError } from '../../src/core/errors.ts';
import type { Logger } from '../../src/core/logger.ts';
import { newestCheckpoint, parseCheckpoint } from '../../src/ledger/audit-checkpoint.ts';
import type { Ledger } from '../../src/ledger/ledger.ts';
import { CheckpointKeeper } from '../../src/orchestrator/checkpoint-keeper.ts';
import { manualClock, tempLedger } from '../support/temp-ledger.ts';
import { createTestOrchestrator } from '../support/test-orchestrator.ts';

function recordingLog(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const at = (level: string) => (msg: string, fields?: Record<string, unknown>) =>
    void lines.push(`${level} ${msg} ${fields ? JSON.stringify(fields) : ''}`);
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

function keeperOn(ledger: Ledger, channel: MemoryChannel, log: Logger = recordingLog()) {
  // A long interval: the test drives every tick by hand.
  return new CheckpointKeeper({
    ledger,
    board: channel.checkpoint,
    log,
    intervalMs: 3_600_000,
    clock: manualClock(),
  });
}

const pinnedText = (channel: MemoryChannel): string => {
  const id = channel.pinnedIds().at(-1);
  return channel.transcript().find((e) => e.messageId === id)?.text ?? '';
};

const head = (l: Ledger) => {
  const e = l.events().at(-1)!;
  return { seq: e.seq, hash: e.hash };
};

describe('CheckpointKeeper', () => {
  it('pins the chain head once, then edits the same message as the ledger grows', async () => {
    const ledger = tempLedger();
    const channel = createMemoryChannel();
    ledger.createTask({ title: 'a' }, 'cli');
    const keeper = keeperOn(ledger, channel);
    await keeper.kick();
    expect(channel.pinnedIds()).toHaveLength(1);
    expect(parseCheckpoint(pinnedText(channel))).toMatchObject(head(ledger));

    await keeper.kick(); // nothing new: no edit
    ledger.createTask({ title: 'b' }, 'cli');
    await keeper.kick();
    expect(channel.pinnedIds()).toHaveLength(1);
    const entry = channel.transcript().find((e) => e.messageId === channel.pinnedIds()[0])!;
    expect(entry.edits).toBe(1);
    expect(newestCheckpoint(await channel.checkpoint.read())).toMatchObject(head(ledger));
  });

  it('logs a failed publish and succeeds on the next try, never throwing', async () => {
    const ledger = tempLedger();
    const channel = createMemoryChannel();
    const log = recordingLog();
    ledger.createTask({ title: 'a' }, 'cli');
    const keeper = keeperOn(ledger, channel, log);
    channel.failNext(1, new ChatError('platform down', { permanent: false }));
    await expect(keeper.kick()).resolves.toBeUndefined();
    expect(log.lines.join('\n')).toMatch(
      /warn checkpoint: could not update the checkpoint; retrying later .*platform down/,
    );
    expect(channel.pinnedIds()).toHaveLength(0);
    await keeper.kick();
    expect(parseCheckpoint(pinnedText(channel))).toMatchObject(head(ledger));
  });

  it('remembers its message across restarts, and starts a new one when it was unpinned', async () => {
    const ledger = tempLedger();
    const channel = createMemoryChannel();
    ledger.createTask({ title: 'a' }, 'cli');
    await keeperOn(ledger, channel).kick();
    const first = channel.pinnedIds()[0]!;
    ledger.createTask({ title: 'b' }, 'cli');
    await keeperOn(ledger, channel).kick();
    expect(channel.pinnedIds()).toEqual([first]);

    channel.unpin();
    ledger.createTask({ title: 'c' }, 'cli');
    await keeperOn(ledger, channel).kick();
    expect(channel.pinnedIds()).toHaveLength(1);
    expect(channel.pinnedIds()[0]).not.toBe(first);
    expect(parseCheckpoint(pinnedText(channel))).toMatchObject(head(ledger));
  });

  it('does not overwrite a checkpoint the ledger no longer holds (deleted newest events)', async () => {
    const ledger = tempLedger();
    const channel = createMemoryChannel();
    for (const t of ['a', 'b', 'c']) ledger.createTask({ title: t }, 'cli');
    await keeperOn(ledger, channel).kick();
    const anchored = pinnedText(channel);
    ledger.db.prepare('DELETE FROM events WHERE seq > 1').run();
    ledger.db.prepare("DELETE FROM tasks WHERE id != 'T-1'").run();

    const log = recordingLog();
    const restarted = keeperOn(ledger, channel, log);
    await restarted.kick();
    ledger.createTask({ title: 'd' }, 'cli');
    await restarted.kick();
    expect(pinnedText(channel)).toBe(anchored);
    expect(log.lines.join('\n')).toMatch(
      /error checkpoint: the ledger does not match the checkpoint in the channel.*ends at event 1/,
    );

    const cp = newestCheckpoint(await channel.checkpoint.read())!;
    const problems = ledger.audit({ checkpoints: [{ checkpoint: cp, source: 'channel' }] }).problems;
    expect(problems.filter((p) => p.kind === 'checkpoint')).toHaveLength(1);
  });

  it('runs with the orchestrator: published at start and brought up to date at stop', async () => {
    const ledger = tempLedger();
    const channel = createMemoryChannel();
    const orchestrator = createTestOrchestrator(ledger, channel, { checkpointIntervalMs: 3_600_000 });
    await orchestrator.start();
    ledger.createTask({ title: 'a' }, 'cli');
    await orchestrator.checkpoints!.kick();
    expect(parseCheckpoint(pinnedText(channel))).toMatchObject(head(ledger));
    channel.postAsHuman('/task "second one"');
    await channel.idle();
    await orchestrator.poster.drain(2_000);
    await orchestrator.stop();
    expect(ledger.getTask('T-2')).toBeDefined();
    expect(parseCheckpoint(pinnedText(channel))).toMatchObject(head(ledger));
    const cp = newestCheckpoint(await channel.checkpoint.read())!;
    expect(ledger.audit({ checkpoints: [{ checkpoint: cp, source: 'channel' }] }).problems).toEqual([]);
  });

  it('keeps no checkpoint unless asked to', async () => {
    const ledger = tempLedger();
    const channel = createMemoryChannel();
    const orchestrator = createTestOrchestrator(ledger, channel);
    expect(orchestrator.checkpoints).toBeUndefined();
    await orchestrator.start();
    await orchestrator.stop();
    expect(channel.pinnedIds()).toEqual([]);
  });
});
