import type { IncomingMessage } from '../chat/chat-port.ts';
import { renderAgents, renderBoard, renderTaskMessage } from '../chat/render-task.ts';
import { staffingOf, type Staffing } from '../chat/staffing.ts';
import { describeError, LedgerError } from '../core/errors.ts';
import type { Ledger } from '../ledger/ledger.ts';
import { OUTBOX_PRIORITY } from '../ledger/outbox-payload.ts';
import { needsAdmin } from './command-catalog.ts';
import { parseCommand } from './command-grammar.ts';
import { COMMAND_LIMITS, type Command } from './command-types.ts';
import { helpText } from './command-usage.ts';
import { REPLY_LIMIT_NOTE, type ReplyLimiter } from './reply-limiter.ts';
import { applyScheduleCommand } from './schedule-command-handler.ts';
import { toNewTask } from './to-new-task.ts';
import { renderStatusUsage, renderTaskUsage, statusUsage, taskUsage } from './usage-view.ts';
import { remoteAgentIds } from '../remote/remote-registry.ts';

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

/** How `handleIncoming` treats one message beyond the admin policy. */
export interface HandleOptions {
  /** The last look at a reply that may answer a question whose message id is not recorded yet. */
  final?: boolean;
  /** Caps replies to people who are not admins; without it every message gets its reply. */
  replyLimiter?: ReplyLimiter;
  /**
   * How long inbox rows are kept (see `Orchestrator`). A message sent longer ago than this, less a
   * margin for clock skew, is not applied: its dedupe row may be pruned already, so it could be a
   * repeat (a Discord catch-up after a long outage).
   */
  inboxRetentionMs?: number;
}

/** Platform and ledger clocks may disagree by this much; stale messages are judged with this margin. */
const STALE_MARGIN_MS = 3_600_000;
/** Agents named in `/status`'s cost lines (the most expensive); a chat reply stays short. */
const CHAT_STATUS_AGENTS = 8;
/** A refused or invalid command is kept only this long in the inbox: enough to see what was tried. */
const UNAPPLIED_TEXT_CHARS = 500;

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
  options: HandleOptions = {},
): MessageOutcome {
  if (msg.author.isBot) return 'ignored';
  if (!options.final && mayAnswerUnpostedQuestion(ledger, channel, msg)) return 'deferred';
  return ledger.transaction(() => {
    const key = { platform: msg.platform, chatId: msg.channelId, messageId: msg.messageId };
    const fresh = ledger.inbox.record({ ...key, channel, authorId: msg.author.id });
    if (!fresh) return 'duplicate';
    const outcome = isStale(ledger, msg, options)
      ? 'ignored'
      : decide(ledger, channel, policy, msg, options.replyLimiter);
    ledger.inbox.setOutcome(key, outcome, ledger.mask(textToKeep(outcome, msg.text)));
    return outcome;
  });
}

function isStale(ledger: Ledger, msg: IncomingMessage, options: HandleOptions): boolean {
  if (options.inboxRetentionMs === undefined) return false;
  return msg.sentAt < ledger.core.now() - options.inboxRetentionMs + STALE_MARGIN_MS;
}

/**
 * What the inbox keeps of a message: nothing of ordinary chat (the row stays, for dedupe), a short
 * prefix of what was refused, and commands and answers as they were typed.
 */
function textToKeep(outcome: MessageOutcome, text: string): string {
  switch (outcome) {
    case 'ignored':
    case 'duplicate':
    case 'deferred':
      return '';
    case 'refused':
    case 'invalid':
      return text.slice(0, UNAPPLIED_TEXT_CHARS);
    case 'applied':
    case 'replied':
    case 'error':
      return text.slice(0, COMMAND_LIMITS.maxInputChars);
  }
}

/** True when a command names a bot (`/cmd@name`) that is not this swarm's: someone else's command. */
function isForAnotherBot(addressedTo: string | undefined, msg: IncomingMessage): boolean {
  if (addressedTo === undefined) return false;
  return msg.botUsername === undefined || addressedTo.toLowerCase() !== msg.botUsername.toLowerCase();
}

/**
 * A plain reply to a message the ledger does not know yet, while some task waits for an answer or a
 * button's reply prompt waits to be recorded: the question or prompt may be on screen before the
 * poster has recorded its id (the platform answered, the record is a moment behind). Such a reply is
 * worth a second look rather than being dropped.
 */
function mayAnswerUnpostedQuestion(ledger: Ledger, channel: string, msg: IncomingMessage): boolean {
  if (!msg.replyToMessageId || parseCommand(msg.text).kind !== 'none') return false;
  if (ledger.outbox.taskOfMessage(channel, msg.replyToMessageId) !== undefined) return false;
  if (ledger.outbox.postedBySwarm(channel, msg.replyToMessageId)) return false; // a digest or a reply: known, no question
  if (ledger.inbox.has(msg.platform, msg.channelId, msg.replyToMessageId)) return false; // a reply to a person
  return ledger.hasTasksIn(['blocked']) || ledger.outbox.hasUnpostedPrompt(channel);
}

function decide(
  ledger: Ledger,
  channel: string,
  policy: AdminPolicy,
  msg: IncomingMessage,
  limiter: ReplyLimiter | undefined,
): MessageOutcome {
  const parsed = parseCommand(msg.text);
  if (parsed.kind !== 'none' && isForAnotherBot(parsed.addressedTo, msg)) return 'ignored';

  const threadTask = msg.threadId ? ledger.outbox.taskOfThread(channel, msg.threadId) : undefined;
  // Admins are never limited; anyone else's replies count against their window.
  const limited = limiter !== undefined && !isAdmin(policy, msg.author);
  const reply = (text: string): void => {
    const verdict = limited ? limiter.take(`${msg.platform}:${msg.author.id}`) : 'reply';
    if (verdict === 'silent') return;
    ledger.outbox.add(
      channel,
      'reply',
      OUTBOX_PRIORITY.urgent,
      {
        // A reply may quote what was typed; a pasted token must not be echoed back.
        text: ledger.mask(verdict === 'last' ? `${text}\n\n${REPLY_LIMIT_NOTE}` : text),
        replyToMessageId: msg.messageId,
      },
      { taskId: threadTask ?? null },
    );
  };

  if (parsed.kind === 'none') {
    const answered = tryAnswerByReply(ledger, channel, policy, msg, reply);
    return answered ?? explainStrayReply(ledger, channel, msg, reply) ?? 'ignored';
  }
  if (parsed.kind === 'error') {
    reply(`⚠️ ${parsed.message}\n${parsed.usage}`);
    return 'invalid';
  }
  const command = parsed.command;
  if (needsAdmin(command) && !isAdmin(policy, msg.author)) {
    const what = command.name === 'schedule' ? `/schedule ${command.action}` : `/${command.name}`;
    reply(`⛔ ${what} changes the swarm and needs an admin; ask one, or use /status and /help.`);
    return 'refused';
  }
  try {
    const text = applyCommand(ledger, command, actorOf(msg), Date.now());
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
  channel: string,
  policy: AdminPolicy,
  msg: IncomingMessage,
  reply: (text: string) => void,
): MessageOutcome | undefined {
  if (!msg.replyToMessageId) return undefined;
  const taskId = ledger.outbox.taskOfMessage(channel, msg.replyToMessageId);
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
  channel: string,
  msg: IncomingMessage,
  reply: (text: string) => void,
): MessageOutcome | undefined {
  if (!msg.replyToMessageId || msg.text.trim() === '') return undefined;
  if (!ledger.outbox.postedBySwarm(channel, msg.replyToMessageId)) return undefined;
  const taskId = ledger.outbox.taskOfMessage(channel, msg.replyToMessageId);
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

/**
 * Runs a command; returns the reply text, or undefined when the mirror already shows the change.
 * Throws the ledger's LedgerError for a request it refuses. The board applies commands through it too.
 */
export function applyCommand(ledger: Ledger, c: Command, actor: string, now: number): string | undefined {
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
        const r = renderTaskMessage(task, staffingNow(ledger));
        const spending = renderTaskUsage(taskUsage(ledger, task.id, task.attempt));
        const result = task.result ? `\nresult: ${task.result.slice(0, 800)}` : '';
        return `${r.heading}\n${r.text}${spending ? `\n${spending}` : ''}${result}`;
      }
      const board = renderBoard(
        ledger.listTasks({ limit: 5_000 }),
        ledger.countByStatus(),
        ledger.isSwarmPaused(),
        staffingNow(ledger),
      );
      // The ledger's clock, not the caller's: usage is recorded under the ledger's UTC day.
      const spending = renderStatusUsage(statusUsage(ledger, ledger.core.now()), {
        maxAgents: CHAT_STATUS_AGENTS,
      });
      return spending ? `${board}\n${spending}` : board;
    }
    case 'agents': {
      const agents = ledger.listAgents();
      const held = new Map(agents.map((a) => [a.id, ledger.heldBy(a.id).map((t) => t.id)]));
      return renderAgents(agents, held, now, remoteAgentIds(ledger));
    }
    case 'schedule':
      return applyScheduleCommand(ledger, c, actor);
    case 'help':
      return helpText(c.topic);
  }
}

/** Who is online now (agents heard from within a lease, not paused), for status lines. */
function staffingNow(ledger: Ledger): Staffing {
  return staffingOf(ledger.listAgents(), ledger.core.now(), ledger.options.leaseMs);
}
