/**
 * People in two channels of one swarm, whose message ids collide (Telegram numbers messages per
 * chat): a reply or a command in one channel acts on what that channel shows, never on the other
 * channel's message with the same id.
 */
import { describe, expect, it } from 'vitest';
import type { IncomingMessage } from '../../src/chat/chat-port.ts';
import { handleIncoming, type AdminPolicy } from '../../src/commands/command-handler.ts';
import { handlePromptReply } from '../../src/commands/interaction-prompts.ts';
import type { Ledger } from '../../src/ledger/ledger.ts';
import { OUTBOX_PRIORITY } from '../../src/ledger/outbox-payload.ts';
import { blockedTask, tempLedger } from '../support/temp-ledger.ts';

const policy: AdminPolicy = { userIds: ['alice'], roleIds: [], everyone: false };
/** Each channel's chat, as its adapter names it. */
const CHAT = { a: '-100111', b: '-100222' } as const;

let seq = 0;
/** A message from alice in `channel`'s chat. */
function said(channel: 'a' | 'b', text: string, over: Partial<IncomingMessage> = {}): IncomingMessage {
  return {
    platform: 'telegram',
    channelId: CHAT[channel],
    messageId: `p-${++seq}`,
    author: { id: 'alice', name: 'alice', isBot: false },
    text,
    sentAt: Date.now(),
    ...over,
  };
}

/** Marks every pending row of `channel` sent, numbering messages from `firstId` as its chat would. */
function postAll(ledger: Ledger, channel: string, firstId: number): Map<string, number> {
  let next = firstId;
  const ids = new Map<string, number>();
  for (const row of ledger.outbox.due(channel, 1_000)) {
    const id = next++;
    ledger.outbox.markSent(row.id, String(id));
    if (row.kind === 'status' && row.taskId) {
      if (!ledger.outbox.taskMessage(row.taskId, channel))
        ledger.outbox.setTaskMessage(row.taskId, channel, String(id));
    }
    if (row.payload.awaitsReply && row.taskId) ids.set(`question ${row.taskId}`, id);
  }
  return ids;
}

/**
 * T-1 is mirrored to channel a only and T-2 to channel b only, each blocked on a question; both
 * chats number their messages from 1, so each task's messages carry the same ids as the other's.
 */
function twoChannels(): { ledger: Ledger; questionId: string } {
  const ledger = tempLedger();
  ledger.setChannels(['a']);
  blockedTask(ledger, 'paint the shed');
  const inA = postAll(ledger, 'a', 1);
  ledger.setChannels(['b']);
  blockedTask(ledger, 'mow the lawn');
  const inB = postAll(ledger, 'b', 1);
  ledger.setChannels(['a', 'b']);
  const questionId = String(inA.get('question T-1'));
  expect(String(inB.get('question T-2'))).toBe(questionId);
  return { ledger, questionId };
}

const repliesIn = (ledger: Ledger, channel: string): { task_id: string | null; payload: string }[] =>
  ledger.db
    .prepare("SELECT task_id, payload FROM outbox WHERE channel = ? AND kind = 'reply' ORDER BY id")
    .all(channel) as { task_id: string | null; payload: string }[];

describe('replies and commands in two channels with colliding message ids', () => {
  it('a reply to a question answers the task of the channel it was written in', () => {
    const { ledger, questionId } = twoChannels();
    expect(handleIncoming(ledger, 'b', policy, said('b', 'green', { replyToMessageId: questionId }))).toBe(
      'applied',
    );
    expect(ledger.getTask('T-2')!.status).toBe('claimed');
    expect(ledger.getTask('T-1')!.status).toBe('blocked');
    expect(handleIncoming(ledger, 'a', policy, said('a', 'red', { replyToMessageId: questionId }))).toBe(
      'applied',
    );
    expect(ledger.getTask('T-1')!.status).toBe('claimed');
    const answers = ledger.db
      .prepare(
        "SELECT task_id, json_extract(data, '$.answer') AS answer FROM events WHERE type = 'task_answered'",
      )
      .all() as { task_id: string; answer: string }[];
    expect(answers).toEqual([
      { task_id: 'T-2', answer: 'green' },
      { task_id: 'T-1', answer: 'red' },
    ]);
  });

  it('a command typed in a task’s thread is answered in that channel’s thread of that task', () => {
    const { ledger } = twoChannels();
    const mainOfT2 = ledger.outbox.taskMessage('T-2', 'b')!.messageId;
    expect(ledger.outbox.taskMessage('T-1', 'a')!.messageId).toBe(mainOfT2);
    expect(handleIncoming(ledger, 'b', policy, said('b', '/status T-2', { threadId: mainOfT2 }))).toBe(
      'replied',
    );
    expect(repliesIn(ledger, 'b').map((r) => r.task_id)).toEqual(['T-2']);
  });

  it('a reply to a person’s message whose id is a swarm message elsewhere is plain chat', () => {
    const ledger = tempLedger();
    ledger.setChannels(['a']);
    ledger.createTask({ title: 'only in a' }, 'cli');
    postAll(ledger, 'a', 1);
    ledger.setChannels(['a', 'b']);
    // Message 1 of chat a is the swarm's; message 1 of chat b is a person's.
    expect(handleIncoming(ledger, 'b', policy, said('b', 'lunch?', { messageId: '1' }))).toBe('ignored');
    const reply = said('b', 'yes please', { replyToMessageId: '1' });
    expect(handleIncoming(ledger, 'b', policy, reply)).toBe('ignored');
    expect(repliesIn(ledger, 'b')).toEqual([]);
  });

  it('a reply to a prompt’s id in another channel is not taken for the prompt’s answer', () => {
    const { ledger } = twoChannels();
    ledger.answer('T-2', 'green', 'cli');
    const prompt = ledger.outbox.add(
      'a',
      'reply',
      OUTBOX_PRIORITY.urgent,
      { text: 'reply to this message with your answer', prompt: 'ts1:a:T-1:1' },
      { taskId: 'T-1' },
    );
    ledger.outbox.markSent(prompt, '90');
    const inB = said('b', 'yes', { replyToMessageId: '90' });
    expect(handlePromptReply(ledger, 'b', policy, inB)).toBeUndefined();
    expect(ledger.inbox.has('telegram', CHAT.b, inB.messageId)).toBe(false);
    const inA = said('a', 'yes', { replyToMessageId: '90' });
    expect(handlePromptReply(ledger, 'a', policy, inA)).not.toBeUndefined();
    expect(ledger.inbox.has('telegram', CHAT.a, inA.messageId)).toBe(true);
  });

  it('a command typed in a forum topic that holds every task is no task’s reply', () => {
    const ledger = tempLedger();
    ledger.setChannels(['main']);
    ledger.createTask({ title: 'one' }, 'cli');
    ledger.createTask({ title: 'two' }, 'cli');
    for (const [taskId, id] of [
      ['T-1', '11'],
      ['T-2', '12'],
    ] as const) {
      ledger.outbox.setTaskMessage(taskId, 'main', id);
      ledger.outbox.setTaskThread(taskId, 'main', '9');
    }
    expect(handleIncoming(ledger, 'main', policy, said('a', '/status', { threadId: '9' }))).toBe('replied');
    expect(repliesIn(ledger, 'main').map((r) => r.task_id)).toEqual([null]);
  });
});
