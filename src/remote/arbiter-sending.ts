import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ArbiterContext } from './arbiter-context.ts';
import { PROTOCOL_PRIORITY } from './arbiter-settings.ts';
import { encodeProtocol } from './protocol-codec.ts';
import { formatTag, type ProtocolMessage, type Tag } from './protocol-types.ts';
import type { RemoteAgentEntry } from './remote-registry.ts';

/**
 * Verbs an agent is waiting on; offers can wait a little. An ack is one: until it arrives the agent
 * keeps its result and sends it again every `resultResendMs`, and each resend costs a message.
 */
const ANSWER_VERBS: ReadonlySet<string> = new Set(['grant', 'taken', 'reply', 'stop', 'refused', 'ack']);
/** Verbs whose repeat, while the first is still waiting in the outbox, is not queued again. */
const ONCE_VERBS: ReadonlySet<string> = new Set(['ack', 'offer']);

/** Tells the agent to stop an attempt that is no longer its own, once. */
export function stopAttempt(ctx: ArbiterContext, agent: RemoteAgentEntry, tag: Tag): void {
  const key = formatTag(tag);
  const t = ctx.tracked.get(key);
  if (t?.stopped) return;
  ctx.tracked.set(key, { tag, agentId: agent.id, stopped: true });
  const ended = ctx.attemptRow(tag);
  const row = ctx.ledger.core.taskRow(tag.taskId);
  let why = 'moved_on';
  let detail = `the task is ${row?.status ?? 'gone'}, attempt ${row?.attempt ?? '?'}`;
  if (row?.status === 'cancelled') {
    why = 'cancelled';
    detail = 'the task was cancelled';
  } else if (ended?.outcome === 'expired') {
    why = 'expired';
    detail = ended.error ?? 'the lease ran out';
    // It went silent: no more offers until it is heard from again.
    ctx.presence.delete(agent.id);
  } else if (ended?.error?.startsWith('reassigned')) {
    why = 'reassigned';
    detail = ended.error;
  }
  send(ctx, agent, { verb: 'stop', to: agent.handle, tag, why, detail });
}

/** Grants an attempt: the task inline, or as a file beside a short grant when it is too long. */
export function sendGrant(ctx: ArbiterContext, agent: RemoteAgentEntry, tag: Tag): void {
  const row = ctx.ledger.core.taskRow(tag.taskId)!;
  const task = ctx.ledger.getTask(tag.taskId)!;
  const granted = {
    title: task.title,
    body: task.body,
    skills: task.skills,
    notes: task.notes,
    timeoutMs: task.timeoutMs,
    maxAttempts: task.maxAttempts,
    try: Math.max(1, row.attempt - row.attempts_base),
    review: task.review,
  };
  const base = {
    verb: 'grant',
    to: agent.handle,
    tag,
    agent: agent.id,
    leaseMs: ctx.leaseOf(agent),
  } as const;
  const inline = encodeProtocol({ ...base, task: granted });
  if (inline.length <= inlineBudget(ctx)) {
    queue(ctx, inline, PROTOCOL_PRIORITY.answer);
    return;
  }
  // Too long for one message: the task goes as a file beside a short grant.
  const name = `${tag.taskId}-${tag.attempt}.task.json`;
  const dir = join(ctx.options.workDir, 'remote', 'outgoing');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify(granted), { mode: 0o600 });
  queue(ctx, encodeProtocol({ ...base, bundle: name }), PROTOCOL_PRIORITY.answer, path);
}

/**
 * Queues one protocol message to an agent (answers before offers); a long reply is cut to fit.
 * Returns the outbox row that carries it.
 */
export function send(ctx: ArbiterContext, agent: RemoteAgentEntry, message: ProtocolMessage): number {
  void agent;
  let text = encodeProtocol(message);
  if (text.length > inlineBudget(ctx) && message.verb === 'reply') {
    const room = inlineBudget(ctx) - (text.length - message.answer.length) - 40;
    text = encodeProtocol({ ...message, answer: `${message.answer.slice(0, Math.max(0, room))} …(cut)` });
  }
  const priority = ANSWER_VERBS.has(message.verb) ? PROTOCOL_PRIORITY.answer : PROTOCOL_PRIORITY.offer;
  // A second ack or offer of the same attempt, while the first still waits, says nothing new.
  const waiting = ONCE_VERBS.has(message.verb) ? pendingRow(ctx, JSON.stringify({ text })) : undefined;
  return waiting ?? queue(ctx, text, priority);
}

/**
 * The outbox row of the same message still waiting to be posted, if any. Under a backlog a result
 * sent again (its ack not out yet) would otherwise queue a second ack, and each extra message slows
 * every other one on a platform that allows 20 a minute.
 */
function pendingRow(ctx: ArbiterContext, payload: string): number | undefined {
  const row = ctx.ledger.core
    .sql(
      "SELECT id FROM outbox WHERE channel = ? AND status = 'pending' AND kind = 'reply' AND payload = ? LIMIT 1",
    )
    .get(ctx.options.channel, payload) as { id: number } | undefined;
  return row?.id;
}

/**
 * Puts a protocol message in the outbox (so it is paced with the mirror and survives a restart) and
 * wakes the poster; returns its row.
 */
export function queue(ctx: ArbiterContext, text: string, priority: number, attachmentPath?: string): number {
  const id = ctx.ledger.outbox.add(
    ctx.options.channel,
    'reply',
    priority,
    attachmentPath ? { text, attachmentPath } : { text },
    { taskId: null },
  );
  ctx.options.kick?.();
  return id;
}

/** Room for one protocol message: half the channel's limit, since escaping can double the text. */
export function inlineBudget(ctx: ArbiterContext): number {
  return Math.floor(ctx.options.maxTextChars / 2);
}
