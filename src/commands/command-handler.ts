import type { IncomingMessage } from '../chat/chat-port.ts';
import { renderAgents, renderBoard, renderTaskMessage } from '../chat/render-task.ts';
import { describeError, LedgerError } from '../core/errors.ts';
import type { Ledger } from '../ledger/ledger.ts';
import { OUTBOX_PRIORITY } from '../ledger/outbox-payload.ts';
import { COMMANDS } from './command-catalog.ts';
import { parseCommand } from './command-grammar.ts';
import type { Command } from './command-types.ts';
import { helpText } from './command-usage.ts';
import { toNewTask } from './to-new-task.ts';

/** Who may change swarm state from a channel. */
export interface AdminPolicy {
  userIds: string[];
  roleIds: string[];
  /** Everyone in the channel is an admin (the console, or a private test group). */
  everyone: boolean;
}

/** What happened to one incoming message; stored in the inbox for the audit trail. */
export type MessageOutcome =
  | 'duplicate'
  | 'ignored'
  | 'applied'
  | 'replied'
  | 'refused'
  | 'invalid'
  | 'error'
  /** Not recorded yet: it may answer a question whose message id is not known yet; ask again soon. */
  | 'deferred';

export function isAdmin(policy: AdminPolicy, author: IncomingMessage['author']): boolean {
  if (policy.everyone) return true;
  if (policy.userIds.includes(author.id)) return true;
  return (author.roleIds ?? []).some((r) => policy.roleIds.includes(r));
}

/** How a person is named in events and in the channel. */
export function actorOf(msg: IncomingMessage): string {
  return `${msg.author.name} [${msg.platform}:${msg.author.id}]`;
}

/**
 * Applies one message from the channel to the ledger, exactly once: the inbox row, the state change
 * and the reply all commit in one transaction, so a redelivered or caught-up message does nothing.
 * Never throws for anything a person can type.
 */
export function handleIncoming(
  ledger: Ledger,
  channel: string,
  policy: AdminPolicy,
  msg: IncomingMessage,
  options: { final?: boolean } = {},
): MessageOutcome {
  if (msg.author.isBot) return 'ignored';
  if (!options.final && mayAnswerUnpostedQuestion(ledger, msg)) return 'deferred';
  return ledger.transaction(() => {
    const fresh = ledger.inbox.record({
      platform: msg.platform,
      chatId: msg.channelId,
      messageId: msg.messageId,
      channel,
      authorId: msg.author.id,
      text: msg.text.slice(0, 20_000),
    });
    if (!fresh) return 'duplicate';
    const outcome = decide(ledger, channel, policy, msg);
    ledger.inbox.setOutcome(
      { platform: msg.platform, chatId: msg.channelId, messageId: msg.messageId },
      outcome,
    );
    return outcome;
  });
}

/**
 * A plain reply to a message the ledger does not know yet, while some task waits for an answer: the
 * question may be on screen before the poster has recorded its id (the platform answered, the
 * record is a moment behind). Such a reply is worth a second look rather than being dropped.
 */
function mayAnswerUnpostedQuestion(ledger: Ledger, msg: IncomingMessage): boolean {
  if (!msg.replyToMessageId || parseCommand(msg.text).kind !== 'none') return false;
  if (ledger.outbox.taskOfMessage(msg.replyToMessageId) !== undefined) return false;
  if (ledger.outbox.postedBySwarm(msg.replyToMessageId)) return false; // a digest or a reply: known, no question
  if (ledger.inbox.has(msg.platform, msg.channelId, msg.replyToMessageId)) return false; // a reply to a person
  return ledger.hasTasksIn(['blocked']);
}

function decide(ledger: Ledger, channel: string, policy: AdminPolicy, msg: IncomingMessage): MessageOutcome {
  const threadTask = msg.threadId ? ledger.outbox.taskOfMessage(msg.threadId) : undefined;
  const reply = (text: string): void => {
    ledger.core.addOutbox(
      channel,
      'reply',
      OUTBOX_PRIORITY.urgent,
      { text, replyToMessageId: msg.messageId },
      { taskId: threadTask ?? null },
    );
  };

  const parsed = parseCommand(msg.text);
  if (parsed.kind === 'none') {
    const answered = tryAnswerByReply(ledger, policy, msg, reply);
    return answered ?? explainStrayReply(ledger, msg, reply) ?? 'ignored';
  }
  if (parsed.kind === 'error') {
    reply(`⚠️ ${parsed.message}\n${parsed.usage}`);
    return 'invalid';
  }
  const command = parsed.command;
  if (COMMANDS[command.name].adminOnly && !isAdmin(policy, msg.author)) {
    reply(`⛔ /${command.name} changes the swarm and needs an admin; ask one, or use /status and /help.`);
    return 'refused';
  }
  try {
    const text = apply(ledger, command, actorOf(msg), Date.now());
    if (text) {
      reply(text);
      return 'replied';
    }
    return 'applied';
  } catch (err) {
    if (!(err instanceof LedgerError)) throw err;
    reply(`⚠️ ${describeError(err)}`);
    return 'error';
  }
}

/** A plain reply to the swarm's question message answers it (admins only, like /answer). */
function tryAnswerByReply(
  ledger: Ledger,
  policy: AdminPolicy,
  msg: IncomingMessage,
  reply: (text: string) => void,
): MessageOutcome | undefined {
  if (!msg.replyToMessageId) return undefined;
  const taskId = ledger.outbox.taskOfMessage(msg.replyToMessageId);
  if (!taskId) return undefined;
  const task = ledger.getTask(taskId);
  if (!task || task.status !== 'blocked') return undefined;
  if (!isAdmin(policy, msg.author)) {
    reply(`⛔ only admins can answer ${taskId}'s question`);
    return 'refused';
  }
  const text = msg.text.trim();
  if (!text) return undefined;
  ledger.answer(taskId, text, actorOf(msg));
  return 'applied';
}

/**
 * A plain reply to one of the swarm's own messages that answers no question (a digest, a status
 * line, a question already answered): say how to answer instead of dropping it silently. Plain chat
 * that replies to no swarm message is left alone.
 */
function explainStrayReply(
  ledger: Ledger,
  msg: IncomingMessage,
  reply: (text: string) => void,
): MessageOutcome | undefined {
  if (!msg.replyToMessageId || msg.text.trim() === '') return undefined;
  if (!ledger.outbox.postedBySwarm(msg.replyToMessageId)) return undefined;
  const taskId = ledger.outbox.taskOfMessage(msg.replyToMessageId);
  const task = taskId ? ledger.getTask(taskId) : undefined;
  const why = task
    ? `${task.id} is not waiting for an answer (it is ${task.status}), so this reply was not recorded.`
    : 'That message asks no question, so this reply was not recorded.';
  const waiting = ledger.listTasks({ status: ['blocked'], limit: 5 }).map((t) => t.id);
  const how =
    waiting.length > 0
      ? `To answer a question, reply to its ❓ message or write /answer ${waiting[0]} <text> (waiting: ${waiting.join(', ')}).`
      : 'No task is waiting for an answer now. Commands start with / (see /help).';
  reply(`ℹ️ ${why} ${how}`);
  return 'replied';
}

/** Runs a command; returns the reply text, or undefined when the mirror already shows the change. */
function apply(ledger: Ledger, c: Command, actor: string, now: number): string | undefined {
  switch (c.name) {
    case 'task': {
      const res = ledger.createTask(toNewTask(c), actor);
      return res.created ? undefined : `${res.task.id} already exists (same key); it is ${res.task.status}`;
    }
    case 'cancel':
      ledger.cancel(c.taskId, actor, c.reason);
      return undefined;
    case 'retry':
      ledger.retry(c.taskId, actor);
      return undefined;
    case 'assign':
      ledger.assign(c.taskId, c.agentId, actor);
      return undefined;
    case 'priority':
      ledger.setPriority(c.taskId, c.priority, actor);
      return undefined;
    case 'pause':
      ledger.pause(actor, c.agentId);
      return undefined;
    case 'resume':
      ledger.resume(actor, c.agentId);
      return undefined;
    case 'approve':
      ledger.approve(c.taskId, actor);
      return undefined;
    case 'reject':
      ledger.reject(c.taskId, c.feedback, actor);
      return undefined;
    case 'note':
      ledger.addNote(c.taskId, c.text, actor);
      return undefined;
    case 'answer':
      ledger.answer(c.taskId, c.text, actor);
      return undefined;
    case 'status': {
      if (c.taskId) {
        const task = ledger.getTask(c.taskId);
        if (!task) throw new LedgerError('unknown_task', `no task ${c.taskId}`);
        const r = renderTaskMessage(task);
        const result = task.result ? `\nresult: ${task.result.slice(0, 800)}` : '';
        return `${r.heading}\n${r.text}${result}`;
      }
      return renderBoard(ledger.listTasks({ limit: 5_000 }), ledger.countByStatus(), ledger.isSwarmPaused());
    }
    case 'agents': {
      const agents = ledger.listAgents();
      const held = new Map(agents.map((a) => [a.id, ledger.heldBy(a.id).map((t) => t.id)]));
      return renderAgents(agents, held, now);
    }
    case 'help':
      return helpText(c.topic);
  }
}
