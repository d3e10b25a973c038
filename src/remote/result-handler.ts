import type { IncomingMessage } from '../chat/chat-port.ts';
import type { ArbiterContext } from './arbiter-context.ts';
import { send } from './arbiter-sending.ts';
import { formatTag, type ProtocolOf, type Tag } from './protocol-types.ts';
import type { RemoteAgentEntry } from './remote-registry.ts';
import { takeInResult } from './result-intake.ts';

/**
 * A result: stored with its files and written through the fenced complete/fail when the attempt is
 * still the agent's and its lease holds; a late one is refused once, a repeat acknowledged again.
 */
export async function onResult(
  ctx: ArbiterContext,
  agent: RemoteAgentEntry,
  m: ProtocolOf<'result'>,
  msg: IncomingMessage,
): Promise<void> {
  const { ledger } = ctx;
  const { log } = ctx.options;
  if (ledger.inbox.has(msg.platform, msg.channelId, msg.messageId)) return;
  const attempt = ctx.attemptRow(m.tag);
  if (!attempt || attempt.agent_id !== agent.id) {
    // Someone else's attempt, or none: bad input, the ledger is left alone.
    ctx.recordInbox(msg, 'refused', msg.text.slice(0, 300));
    log.warn("remote: result for an attempt that is not this agent's; refused", {
      agent: agent.id,
      tag: formatTag(m.tag),
    });
    send(ctx, agent, {
      verb: 'refused',
      to: agent.handle,
      tag: m.tag,
      why: attempt ? 'not_yours' : 'unknown_attempt',
      detail: attempt ? `${formatTag(m.tag)} belongs to another agent` : `there is no ${formatTag(m.tag)}`,
    });
    return;
  }
  if (attempt.outcome === 'done' || attempt.outcome === 'review') {
    // Delivered again (an agent that did not hear the ack): recorded once, acknowledged again.
    ctx.recordInbox(msg, 'duplicate', '');
    send(ctx, agent, { verb: 'ack', to: agent.handle, tag: m.tag, outcome: attempt.outcome });
    return;
  }
  // A lease that has run out by now ends before the result is looked at: never accepted late.
  ledger.expireLeases();
  const intake =
    ctx.attemptRow(m.tag)?.outcome === 'running'
      ? await takeInResult(m, msg.attachments ?? [], {
          root: ctx.resultsRoot(),
          maxBundleBytes: ctx.settings.maxResultBytes,
          download: ctx.options.download,
        })
      : ({ ok: true, outcome: m.outcome, text: m.text ?? '', artifacts: [] } as const);
  if (!intake.ok && intake.why === 'retry') {
    log.warn('remote: could not fetch a result file; the agent will send it again', {
      agent: agent.id,
      tag: formatTag(m.tag),
      reason: intake.detail,
    });
    return;
  }
  ledger.transaction(() => {
    if (!ctx.recordFresh(msg)) return;
    const ref = { ...m.tag, agentId: agent.id };
    if (!intake.ok) {
      ctx.setOutcome(msg, 'refused', msg.text);
      log.warn('remote: result refused', { agent: agent.id, tag: formatTag(m.tag), why: intake.why });
      // A result that cannot be stored ends the attempt as failed, saying why.
      const res = ledger.fail(ref, `remote result refused: ${intake.detail}`);
      ctx.untrack(m.tag);
      send(ctx, agent, {
        verb: 'refused',
        to: agent.handle,
        tag: m.tag,
        why: intake.why,
        detail: intake.detail,
      });
      if (!res.ok) log.info('remote: the attempt was already over', { tag: formatTag(m.tag) });
      return;
    }
    if (ctx.attemptRow(m.tag)?.outcome !== 'running' && staleResultRefusedBefore(ctx, m.tag)) {
      // Refused once already (the agent sent it again): no second event.
      ctx.setOutcome(msg, 'refused', '');
      send(ctx, agent, {
        verb: 'refused',
        to: agent.handle,
        tag: m.tag,
        why: 'stale',
        detail: 'attempt is over',
      });
      return;
    }
    const res =
      intake.outcome === 'ok'
        ? ledger.complete(ref, intake.text, [...intake.artifacts])
        : ledger.fail(ref, intake.text || 'remote worker failed');
    ctx.setOutcome(msg, res.ok ? 'applied' : 'refused', msg.text.slice(0, 2_000));
    ctx.untrack(m.tag);
    if (!res.ok) {
      log.warn('remote: late result refused (the attempt is over)', {
        agent: agent.id,
        tag: formatTag(m.tag),
      });
      send(ctx, agent, {
        verb: 'refused',
        to: agent.handle,
        tag: m.tag,
        why: 'stale',
        detail: `attempt ${m.tag.attempt} is over (the task is ${res.status}, attempt ${res.currentAttempt})`,
      });
      return;
    }
    const task = ledger.getTask(m.tag.taskId);
    const outcome = intake.outcome === 'fail' ? 'failed' : task?.status === 'review' ? 'review' : 'done';
    send(ctx, agent, { verb: 'ack', to: agent.handle, tag: m.tag, outcome });
  });
}

/** Whether a late result of this attempt was refused before (so a resend records no second event). */
export function staleResultRefusedBefore(ctx: ArbiterContext, tag: Tag): boolean {
  return ctx.ledger
    .events({ taskId: tag.taskId })
    .some(
      (e) =>
        e.type === 'stale_write_refused' &&
        (e.data.op === 'result' || e.data.op === 'failure') &&
        e.data.attempt === tag.attempt,
    );
}
