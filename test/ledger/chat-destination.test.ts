import { describe, expect, it } from 'vitest';
import {
  CHECKPOINT_MESSAGE_KEY,
  archivedChannel,
  postedInChatSince,
} from '../../src/ledger/chat-destination.ts';
import type { Ledger } from '../../src/ledger/ledger.ts';
import { OUTBOX_PRIORITY } from '../../src/ledger/outbox-payload.ts';
import { queued, tempLedger } from '../support/temp-ledger.ts';

const channels = (l: Ledger): string[] =>
  (l.db.prepare('SELECT channel FROM task_messages ORDER BY channel').all() as { channel: string }[]).map(
    (r) => r.channel,
  );
const pendingStatusTasks = (l: Ledger): string[] =>
  (
    queued(l)
      .db.prepare(
        "SELECT task_id FROM outbox WHERE channel = 'main' AND kind = 'status' AND status = 'pending' ORDER BY task_id",
      )
      .all() as { task_id: string }[]
  ).map((r) => r.task_id);

describe('the chat a channel posts to', () => {
  it('on a move: archives task messages, forgets the checkpoint and reply targets, shows open tasks anew', () => {
    const l = tempLedger();
    expect(l.outbox.adoptDestination('main', 'telegram:-1', 'configured')).toBeUndefined();
    const open = l.createTask({ title: 'open' }, 'cli').task.id;
    const done = l.createTask({ title: 'done' }, 'cli').task.id;
    l.cancel(done, 'cli');
    l.outbox.setTaskMessage(open, 'main', '11');
    l.setKv(CHECKPOINT_MESSAGE_KEY, '{"messageId":"12"}');
    // Everything queued so far went out in the old chat.
    for (const row of l.outbox.due('main', 100)) l.outbox.markSent(row.id, `m${row.id}`);
    const reply = l.outbox.add('main', 'reply', OUTBOX_PRIORITY.urgent, {
      text: 'hi',
      replyToMessageId: '13',
    });
    expect(pendingStatusTasks(l)).toEqual([]);

    expect(l.outbox.adoptDestination('main', 'telegram:-2', 'configured')).toBe('telegram:-1');
    expect(channels(l)).toEqual([archivedChannel('main', 'telegram:-1')]);
    expect(l.getKv(CHECKPOINT_MESSAGE_KEY)).toBeUndefined();
    const payload = l.db.prepare('SELECT payload FROM outbox WHERE id = ?').pluck().get(reply) as string;
    expect(JSON.parse(payload)).toEqual({ text: 'hi' });
    expect(pendingStatusTasks(l)).toEqual([open]);
    expect(postedInChatSince(l.core, 'main')).toBeGreaterThan(0);
    // The same chat again: nothing more happens.
    expect(l.outbox.adoptDestination('main', 'telegram:-2', 'configured')).toBeUndefined();
    expect(channels(l)).toEqual([archivedChannel('main', 'telegram:-1')]);
  });

  it('a group upgraded while the swarm ran is the supergroup at the next start, whatever the config says', () => {
    const l = tempLedger();
    l.outbox.adoptDestination('main', 'telegram:-1', 'configured');
    // The port followed the upgrade: a move, remembered as an upgrade.
    expect(l.outbox.adoptDestination('main', 'telegram:-100', 'followed')).toBe('telegram:-1');
    l.outbox.setTaskMessage('T-1', 'main', '5');
    // Restarted with the group's old id still in the config: not a move back.
    expect(l.outbox.adoptDestination('main', 'telegram:-1', 'configured')).toBeUndefined();
    expect(l.outbox.taskMessage('T-1', 'main')?.messageId).toBe('5');
    // The port follows the upgrade again at its first call: the recorded chat, nothing moves.
    expect(l.outbox.adoptDestination('main', 'telegram:-100', 'followed')).toBeUndefined();
    expect(l.outbox.taskMessage('T-1', 'main')?.messageId).toBe('5');
    // Another group in the config is a move.
    expect(l.outbox.adoptDestination('main', 'telegram:-7', 'configured')).toBe('telegram:-100');
    expect(l.outbox.taskMessage('T-1', 'main')).toBeUndefined();
  });

  it('a damaged move time counts as never moved instead of matching no message at all', () => {
    const l = tempLedger();
    l.setKv('chat_destination_since:main', 'garbage');
    expect(postedInChatSince(l.core, 'main')).toBe(0);
  });
});
