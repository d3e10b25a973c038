import { describe, expect, it } from 'vitest';
import type { IncomingMessage } from '../../src/chat/chat-port.ts';
import { handleIncoming } from '../../src/commands/command-handler.ts';
import { handlePromptReply } from '../../src/commands/interaction-prompts.ts';
import { OUTBOX_PRIORITY } from '../../src/ledger/outbox-payload.ts';
import { tempLedger } from '../support/temp-ledger.ts';

const policy = { userIds: ['alice'], roleIds: [], everyone: false };

function replyTo(messageId: string, text: string, authorId: string): IncomingMessage {
  return {
    platform: 'memory',
    channelId: 'c1',
    messageId: `m-${text}`,
    author: { id: authorId, name: authorId, isBot: false },
    text,
    replyToMessageId: messageId,
    sentAt: 0,
  };
}

// A person can reply to a button's prompt before the poster has recorded the prompt's message id
// (the platform answered, the record is a moment behind): the reply must wait, not pass as chat.
describe('a reply that beats the recording of a prompt', () => {
  it('is deferred while a prompt is unposted, then applied as the prompt reply once it is recorded', () => {
    const ledger = tempLedger();
    const { task } = ledger.createTask({ title: 'Build the parser', review: true }, 'alice');
    const promptRow = ledger.outbox.add(
      'main',
      'reply',
      OUTBOX_PRIORITY.urgent,
      { text: 'reply to this message with your feedback', prompt: `ts1:j:${task.id}:1` },
      { taskId: task.id },
    );

    const early = replyTo('55', 'ship it', 'bob');
    expect(handlePromptReply(ledger, 'main', policy, early)).toBeUndefined();
    expect(handleIncoming(ledger, 'main', policy, early)).toBe('deferred');
    expect(ledger.inbox.has('memory', 'c1', early.messageId)).toBe(false);

    ledger.outbox.markSent(promptRow, '55');
    // The retry takes it as a reply to the prompt (a stranger's, so refused), recorded once.
    expect(handlePromptReply(ledger, 'main', policy, early)).not.toBeUndefined();
    expect(ledger.inbox.has('memory', 'c1', early.messageId)).toBe(true);
    expect(handlePromptReply(ledger, 'main', policy, early)).toBe('duplicate');
    expect(ledger.getTask(task.id)!.status).toBe('queued');
    ledger.close();
  });

  it('is not deferred when no prompt or question is waiting, and never on the final try', () => {
    const ledger = tempLedger();
    const lone = replyTo('77', 'hello there', 'bob');
    expect(handleIncoming(ledger, 'main', policy, lone)).not.toBe('deferred');

    ledger.outbox.add('main', 'reply', OUTBOX_PRIORITY.urgent, { text: 'p', prompt: 'x' }, {});
    const late = replyTo('78', 'hi again', 'bob');
    expect(handleIncoming(ledger, 'main', policy, late)).toBe('deferred');
    expect(handleIncoming(ledger, 'main', policy, late, { final: true })).not.toBe('deferred');
    ledger.close();
  });
});
