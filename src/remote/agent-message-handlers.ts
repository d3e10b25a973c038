import type { IncomingMessage } from '../chat/chat-port.ts';
import type { ArbiterContext } from './arbiter-context.ts';
import { send, sendGrant, stopAttempt } from './arbiter-sending.ts';
import { formatTag, type ProtocolOf, type Tag } from './protocol-types.ts';
import type { RemoteAgentEntry } from './remote-registry.ts';

/** An agent's hello (or its edit, the heartbeat): its presence, and a heartbeat for each attempt it holds. */
export function onHello(
  ctx: ArbiterContext,
  agent: RemoteAgentEntry,
  m: ProtocolOf<'hello'>,
  msg: IncomingMessage,
): void {
  if (m.agent !== agent.id) {
    ctx.options.log.warn('remote: a bot spoke for another agent id; refused', {
      bot: msg.author.id,
      configured: agent.id,
      claimed: m.agent,
    });
    return;
  }
  const before = ctx.presence.get(agent.id);
  const known = ctx.ledger.getAgent(agent.id);
  const changed =
    !known ||
    known.capacity !== m.capacity ||
    known.skills.join(',') !== m.skills.join(',') ||
    known.status === 'offline' ||
    before?.statusMessageId !== msg.messageId;
  ctx.presence.set(agent.id, {
    lastHeardAt: ctx.now(),
    capacity: m.capacity,
    free: m.free,
    skills: m.skills,
    statusMessageId: msg.messageId,
  });
  if (changed && !msg.edited) {
    ctx.ledger.registerAgent({ id: agent.id, skills: m.skills, capacity: m.capacity });
  }
  for (const held of m.held) beat(ctx, agent, held);
}

/** One held attempt's heartbeat: extends its lease (with progress when it moved), or stops it. */
export function beat(
  ctx: ArbiterContext,
  agent: RemoteAgentEntry,
  held: ProtocolOf<'hello'>['held'][number],
): void {
  const ref = { ...held.tag, agentId: agent.id };
  const row = ctx.ledger.core.taskRow(ref.taskId);
  const current =
    row !== undefined &&
    (row.status === 'claimed' || row.status === 'blocked') &&
    row.attempt === ref.attempt &&
    row.owner === agent.id;
  if (!current) {
    stopAttempt(ctx, agent, held.tag);
    return;
  }
  ctx.track(held.tag, agent.id);
  const moved = held.pct !== row.progress_pct || (held.text || null) !== row.progress_text;
  const res =
    moved && (held.pct !== null || held.text)
      ? ctx.ledger.progress(ref, held.pct, held.text)
      : ctx.ledger.heartbeat(ref, ctx.leaseOf(agent));
  if (!res.ok) stopAttempt(ctx, agent, held.tag);
}

/** A claim: the ledger's atomic claim decides; the agent gets a grant, or is told the attempt was taken. */
export function onClaim(
  ctx: ArbiterContext,
  agent: RemoteAgentEntry,
  m: ProtocolOf<'claim'>,
  msg: IncomingMessage,
): void {
  const { ledger } = ctx;
  ledger.transaction(() => {
    if (!ctx.recordFresh(msg)) return;
    const refuse = (why: string, detail: string): void => {
      ctx.setOutcome(msg, 'refused', msg.text);
      send(ctx, agent, { verb: 'taken', to: agent.handle, tag: m.tag, why, detail });
    };
    if (m.agent !== agent.id) return refuse('wrong_agent', `this bot is ${agent.id}, not ${m.agent}`);
    const row = ledger.core.taskRow(m.tag.taskId);
    if (!row) return refuse('unknown_task', `no task ${m.tag.taskId}`);
    const registered = ledger.getAgent(agent.id);
    if (!registered) return refuse('no_hello', 'send /hello first');
    if (
      row.attempt === m.tag.attempt &&
      row.owner === agent.id &&
      ['claimed', 'blocked'].includes(row.status)
    ) {
      // The claim came twice (resent after a lost answer): the grant stands, say it again.
      ctx.setOutcome(msg, 'applied', msg.text);
      sendGrant(ctx, agent, m.tag);
      return;
    }
    if (row.attempt + 1 !== m.tag.attempt)
      return refuse(
        'taken',
        `attempt ${m.tag.attempt} is not open (the task is ${row.status}, attempt ${row.attempt})`,
      );
    const res = ledger.claimTask(m.tag.taskId, {
      id: agent.id,
      skills: registered.skills,
      leaseMs: ctx.leaseOf(agent),
    });
    if (res.kind !== 'claimed') {
      const why = res.kind === 'not_eligible' ? 'not_eligible' : res.kind;
      return refuse(why, res.kind === 'not_eligible' ? res.reason : `the task is ${res.kind}`);
    }
    ctx.setOutcome(msg, 'applied', msg.text);
    ctx.offers.delete(formatTag(m.tag));
    ctx.passed.delete(formatTag(m.tag));
    ctx.track(m.tag, agent.id);
    sendGrant(ctx, agent, m.tag);
  });
}

/** A question from a held attempt: the task blocks until a person answers (relayed by answer-relay.ts). */
export function onAsk(
  ctx: ArbiterContext,
  agent: RemoteAgentEntry,
  m: ProtocolOf<'ask'>,
  msg: IncomingMessage,
): void {
  ctx.ledger.transaction(() => {
    if (!ctx.recordFresh(msg)) return;
    if (!checkOwner(ctx, agent, m.tag, msg)) return;
    const res = ctx.ledger.ask({ ...m.tag, agentId: agent.id }, m.question);
    ctx.setOutcome(msg, res.ok ? 'applied' : 'refused', msg.text);
    if (!res.ok) refuseStale(ctx, agent, m.tag);
  });
}

/** An attempt given back by its agent (stopping, or a grant it no longer wanted): the task is queued again. */
export function onRelease(
  ctx: ArbiterContext,
  agent: RemoteAgentEntry,
  m: ProtocolOf<'release'>,
  msg: IncomingMessage,
): void {
  ctx.ledger.transaction(() => {
    if (!ctx.recordFresh(msg)) return;
    if (!checkOwner(ctx, agent, m.tag, msg)) return;
    const res = ctx.ledger.release({ ...m.tag, agentId: agent.id }, m.reason);
    ctx.setOutcome(msg, res.ok ? 'applied' : 'refused', msg.text);
    ctx.untrack(m.tag);
    if (res.ok) send(ctx, agent, { verb: 'ack', to: agent.handle, tag: m.tag, outcome: 'released' });
  });
}

/**
 * Checks the attempt is this agent's before a fenced write: an attempt that never was its own (or
 * a task that does not exist) is bad input and changes nothing; one that was and is over is stale
 * and goes to the fenced write, which records the refusal.
 */
export function checkOwner(
  ctx: ArbiterContext,
  agent: RemoteAgentEntry,
  tag: Tag,
  msg: IncomingMessage,
): boolean {
  const attempt = ctx.attemptRow(tag);
  if (attempt && attempt.agent_id === agent.id) return true;
  ctx.setOutcome(msg, 'refused', msg.text.slice(0, 300));
  ctx.options.log.warn("remote: message names an attempt that is not this agent's; refused", {
    agent: agent.id,
    tag: formatTag(tag),
  });
  send(ctx, agent, {
    verb: 'refused',
    to: agent.handle,
    tag,
    why: attempt ? 'not_yours' : 'unknown_attempt',
    detail: attempt ? `${formatTag(tag)} belongs to another agent` : `there is no ${formatTag(tag)}`,
  });
  return false;
}

/** Tells the agent its attempt is over (a fenced write was refused) and stops following it. */
export function refuseStale(ctx: ArbiterContext, agent: RemoteAgentEntry, tag: Tag): void {
  ctx.untrack(tag);
  send(ctx, agent, { verb: 'refused', to: agent.handle, tag, why: 'stale', detail: 'the attempt is over' });
}
