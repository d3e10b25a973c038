/**
 * Applies what a person did through the platform's own controls (a task button, a form, a native
 * command) exactly like the typed command it stands for: same validation, same admin check, same
 * ledger operation and event naming the person, recorded once in the inbox under the interaction's
 * id, so a redelivered interaction does nothing. Buttons also name the state they were shown for,
 * and a press on a task that has moved on changes nothing. The outcome goes back privately to the
 * person (`InteractionReply`); what changed shows in the channel as it does for typed commands.
 */
import type { IncomingMessage, Interaction, InteractionReply } from '../chat/chat-port.ts';
import {
  commandFor,
  isCurrent,
  parseActionData,
  TASK_ACTIONS,
  type ActionRef,
} from '../chat/task-actions.ts';
import { describeError, LedgerError } from '../core/errors.ts';
import type { TaskStatus } from '../core/types.ts';
import type { Ledger } from '../ledger/ledger.ts';
import { OUTBOX_PRIORITY } from '../ledger/outbox-payload.ts';
import { taskStamp } from '../ledger/task-stamp.ts';
import { validate } from './command-args.ts';
import { COMMANDS } from './command-catalog.ts';
import { requiredTextField } from './command-fields.ts';
import { actorOf, applyCommand, isAdmin, type AdminPolicy, type MessageOutcome } from './command-handler.ts';
import { COMMAND_LIMITS, COMMAND_NAMES, CommandSchema, type Command } from './command-types.ts';
import { usageFor } from './command-usage.ts';
import { toCommandFromOptions } from './interaction-command.ts';
import { suggestionsFor } from './interaction-suggestions.ts';
import { toNewTask } from './to-new-task.ts';

/** What became of an interaction, and what the person is told. */
export interface InteractionResult {
  outcome: MessageOutcome;
  reply: InteractionReply;
  /** What the inbox keeps: the equivalent typed command. */
  record: string;
}

/** The message form of an interaction, as adapters deliver it. */
export type InteractionMessage = IncomingMessage & { interaction: Interaction };

/** Shown for a press on a task whose state changed since its buttons were drawn. */
export const MOVED_ON = 'this task has moved on';

const done = (outcome: MessageOutcome, text: string, record: string): InteractionResult => ({
  outcome,
  reply: { ok: outcome === 'applied' || outcome === 'replied', text },
  record,
});

/**
 * Applies one interaction, once. Never throws for anything a client can send; a ledger failure
 * (busy, disk full) throws, and the caller tells the person to try again.
 */
export function handleInteraction(
  ledger: Ledger,
  channel: string,
  policy: AdminPolicy,
  msg: InteractionMessage,
): InteractionResult {
  const i = msg.interaction;
  if (i.kind === 'autocomplete') {
    // Read-only: nothing to record, and it must answer at once.
    return {
      outcome: 'replied',
      reply: { ok: true, text: '', choices: suggestionsFor(ledger, i.name, i.option, i.value) },
      record: '',
    };
  }
  if (msg.author.isBot) return done('ignored', '', '');
  return ledger.transaction(() => {
    const key = { platform: msg.platform, chatId: msg.channelId, messageId: msg.messageId };
    const fresh = ledger.inbox.record({ ...key, channel, authorId: msg.author.id });
    if (!fresh) return done('duplicate', 'ℹ️ already handled', '');
    const result =
      i.kind === 'command'
        ? decideCommand(ledger, policy, msg, i.name, i.options)
        : decideAction(ledger, channel, policy, msg, i.data, i.kind === 'form' ? i.text : undefined);
    ledger.inbox.setOutcome(
      key,
      result.outcome,
      ledger.mask(result.record.slice(0, COMMAND_LIMITS.maxInputChars)),
    );
    return result;
  });
}

/**
 * A task button pressed (`text` undefined) or its form submitted (`text` given). A button that asks
 * for text and comes without it (Telegram has no forms) posts a prompt under the task; the person's
 * reply to it comes back through `decideActionText`.
 */
function decideAction(
  ledger: Ledger,
  channel: string,
  policy: AdminPolicy,
  msg: IncomingMessage,
  data: string,
  text: string | undefined,
): InteractionResult {
  const ref = parseActionData(data);
  if (ref === undefined)
    return done('invalid', '⚠️ That button is not one of the swarm’s; nothing changed.', '');
  const record = commandFor(ref.action, ref.taskId);
  const checked = checkAction(ledger, policy, msg, ref);
  if (checked !== undefined) return { ...checked, record };
  const info = TASK_ACTIONS[ref.action];
  if (info.asksText && text === undefined) {
    const task = ledger.getTask(ref.taskId);
    const what = ref.action === 'reject' ? 'your feedback for the next attempt' : 'your answer';
    const question = ref.action === 'answer' && task?.question ? ` (❓ ${task.question})` : '';
    ledger.outbox.add(
      channel,
      'reply',
      OUTBOX_PRIORITY.urgent,
      {
        text: ledger.mask(
          `✍️ ${msg.author.name}: reply to this message with ${what} for ${ref.taskId}${question}.`,
        ),
        promptsReply: { placeholder: `${info.asksText.label} (${ref.taskId})`.slice(0, 64) },
        prompt: data,
      },
      { taskId: ref.taskId },
    );
    return done('replied', `✍️ Reply to the prompt under ${ref.taskId} with ${what}.`, record);
  }
  return applyAction(ledger, msg, ref, text);
}

/** Who may press, and whether the press still applies; undefined when it does. */
function checkAction(
  ledger: Ledger,
  policy: AdminPolicy,
  msg: IncomingMessage,
  ref: ActionRef,
): Omit<InteractionResult, 'record'> | undefined {
  const task = ledger.getTask(ref.taskId);
  if (!task) return done('invalid', `⚠️ There is no task ${ref.taskId}; nothing changed.`, '');
  if (!isAdmin(policy, msg.author)) {
    return done('refused', `⛔ ${TASK_ACTIONS[ref.action].label} changes the swarm and needs an admin.`, '');
  }
  if (!isCurrent(ref, task, taskStamp(ledger.core, task.id))) {
    return done(
      'refused',
      `⏭ Nothing changed: ${MOVED_ON} (${task.id} is ${STATE_WORDS[task.status]} now).`,
      '',
    );
  }
  return undefined;
}

function applyAction(
  ledger: Ledger,
  msg: IncomingMessage,
  ref: ActionRef,
  text: string | undefined,
): InteractionResult {
  let record = commandFor(ref.action, ref.taskId);
  let command: Command;
  if (ref.action === 'reject' || ref.action === 'answer') {
    const missing =
      ref.action === 'reject' ? 'reject needs feedback saying what to change' : 'missing the answer text';
    const typed = validate(requiredTextField(missing), text);
    if (!typed.ok) return done('invalid', `⚠️ ${typed.problem}; nothing changed.`, record);
    record = `/${ref.action} ${ref.taskId} ${typed.value}`;
    command =
      ref.action === 'reject'
        ? { name: 'reject', taskId: ref.taskId, feedback: typed.value }
        : { name: 'answer', taskId: ref.taskId, text: typed.value };
  } else {
    command = { name: ref.action, taskId: ref.taskId };
  }
  return run(ledger, command, actorOf(msg), record);
}

/**
 * The person's reply to a prompt the swarm posted for a button that asks for text (see
 * `decideAction`): checked again (admin, still current), then applied with the reply as the text.
 */
export function decideActionText(
  ledger: Ledger,
  policy: AdminPolicy,
  msg: IncomingMessage,
  data: string,
): InteractionResult {
  const ref = parseActionData(data);
  if (ref === undefined)
    return done('invalid', '⚠️ That prompt is no longer understood; nothing changed.', '');
  const checked = checkAction(ledger, policy, msg, ref);
  if (checked !== undefined) return { ...checked, record: commandFor(ref.action, ref.taskId) };
  return applyAction(ledger, msg, ref, msg.text);
}

function decideCommand(
  ledger: Ledger,
  policy: AdminPolicy,
  msg: IncomingMessage,
  name: string,
  options: Readonly<Record<string, string | number | boolean>>,
): InteractionResult {
  const record = `/${name} ${Object.entries(options)
    .map(([k, v]) => `${k}=${String(v)}`)
    .join(' ')}`.trim();
  const parsed = toCommandFromOptions(name, options);
  const known = COMMAND_NAMES.find((n) => n === name);
  if (!parsed.ok) {
    const usage = known ? `\n${usageFor(known)}` : '';
    return done('invalid', `⚠️ ${parsed.problem}${usage}`, record);
  }
  const command = parsed.value;
  if (COMMANDS[command.name].adminOnly && !isAdmin(policy, msg.author)) {
    return done(
      'refused',
      `⛔ /${command.name} changes the swarm and needs an admin; ask one, or use /status and /help.`,
      record,
    );
  }
  return run(ledger, command, actorOf(msg), record);
}

/** Applies a valid command; a refusal by the ledger (wrong state, unknown task) is the person's to read. */
function run(ledger: Ledger, command: Command, actor: string, record: string): InteractionResult {
  try {
    CommandSchema.parse(command);
    if (command.name === 'task') {
      const res = ledger.createTask(toNewTask(command), actor);
      return res.created
        ? done('applied', `✅ ${res.task.id} created.`, record)
        : done('replied', `ℹ️ ${res.task.id} already exists (same key); it is ${res.task.status}.`, record);
    }
    const text = applyCommand(ledger, command, actor, Date.now());
    return text === undefined
      ? done('applied', confirmation(command), record)
      : done('replied', text, record);
  } catch (err) {
    if (!(err instanceof LedgerError)) throw err;
    return done('error', `⚠️ ${describeError(err)}`, record);
  }
}

/** The private line confirming a change that the channel shows anyway. */
function confirmation(c: Command): string {
  const target =
    'taskId' in c && c.taskId !== undefined
      ? ` ${c.taskId}`
      : 'agentId' in c && c.agentId
        ? ` ${c.agentId}`
        : '';
  const verb: Partial<Record<Command['name'], string>> = {
    cancel: 'cancelled',
    retry: 'queued again',
    approve: 'approved',
    reject: 'sent back with your feedback',
    answer: 'answered',
    note: 'noted',
    assign: 'assigned',
    priority: 'reprioritised',
    pause: 'paused',
    resume: 'resumed',
  };
  const what = target === '' && (c.name === 'pause' || c.name === 'resume') ? ' the swarm' : target;
  return `✅${what} ${verb[c.name] ?? 'done'}.`;
}

const STATE_WORDS: Record<TaskStatus, string> = {
  queued: 'queued',
  claimed: 'being worked on',
  blocked: 'waiting for an answer',
  review: 'waiting for review',
  done: 'done',
  failed: 'failed',
  cancelled: 'cancelled',
};
