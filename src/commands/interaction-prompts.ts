/**
 * Replies to the swarm's prompts for text. On a platform without forms (Telegram), a button that
 * needs text (Reject, Answer) makes the swarm post a prompt under the task; the person's reply to
 * that prompt is the feedback or the answer. The prompt's outbox row keeps the pressed button's data.
 */
import type { IncomingMessage } from '../chat/chat-port.ts';
import { postedInChatSince } from '../ledger/chat-destination.ts';
import type { Ledger } from '../ledger/ledger.ts';
import { OUTBOX_PRIORITY, outboxPayloadSchema } from '../ledger/outbox-payload.ts';
import { isAdmin, type AdminPolicy, type MessageOutcome } from './command-handler.ts';
import { COMMAND_LIMITS } from './command-types.ts';
import { decideActionText } from './interaction-handler.ts';
import type { ReplyLimiter } from './reply-limiter.ts';

/**
 * The button data a prompt message was posted for, when `messageId` is one of the swarm's prompts in
 * `channel` (message ids repeat across channels: Telegram numbers them per chat).
 */
export function promptOf(ledger: Ledger, channel: string, messageId: string): string | undefined {
  const row = ledger.core
    .sql(
      "SELECT payload FROM outbox WHERE platform_message_id = ? AND channel = ? AND coalesce(sent_at, 0) >= ? AND kind = 'reply' LIMIT 1",
    )
    .get(messageId, channel, postedInChatSince(ledger.core, channel)) as { payload: string } | undefined;
  if (!row) return undefined;
  try {
    return outboxPayloadSchema.parse(JSON.parse(row.payload)).prompt;
  } catch {
    return undefined;
  }
}

/**
 * A person's reply to one of the swarm's prompts, applied once (recorded in the inbox like any
 * message). Problems get a reply under the person's message; success shows in the channel (the
 * task's status and details). Undefined when the message answers no prompt: the ordinary handler
 * takes it then.
 */
export function handlePromptReply(
  ledger: Ledger,
  channel: string,
  policy: AdminPolicy,
  msg: IncomingMessage,
  limiter?: ReplyLimiter,
): MessageOutcome | undefined {
  const promptId = msg.replyToMessageId;
  if (msg.author.isBot || !promptId || msg.text.trim() === '') return undefined;
  const data = promptOf(ledger, channel, promptId);
  if (data === undefined) return undefined;
  return ledger.transaction(() => {
    const key = { platform: msg.platform, chatId: msg.channelId, messageId: msg.messageId };
    if (!ledger.inbox.record({ ...key, channel, authorId: msg.author.id })) return 'duplicate';
    const result = decideActionText(ledger, policy, msg, data);
    const silent =
      limiter !== undefined &&
      !isAdmin(policy, msg.author) &&
      limiter.take(`${msg.platform}:${msg.author.id}`) === 'silent';
    if (!result.reply.ok && result.reply.text !== '' && !silent) {
      ledger.outbox.add(
        channel,
        'reply',
        OUTBOX_PRIORITY.urgent,
        { text: ledger.mask(result.reply.text), replyToMessageId: msg.messageId },
        { taskId: ledger.outbox.taskOfMessage(channel, promptId) ?? null },
      );
    }
    ledger.inbox.setOutcome(
      key,
      result.outcome,
      ledger.mask(result.record.slice(0, COMMAND_LIMITS.maxInputChars)),
    );
    return result.outcome;
  });
}
