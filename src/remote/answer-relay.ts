import type { ArbiterContext } from './arbiter-context.ts';
import { send, stopAttempt } from './arbiter-sending.ts';

/** Relays a person's answer to the agent that asked, and tells agents to stop attempts that are no longer theirs. */
export function relayAnswersAndStops(ctx: ArbiterContext): void {
  for (const t of [...ctx.tracked.values()]) {
    const agent = ctx.byId.get(t.agentId);
    if (!agent) continue;
    const row = ctx.ledger.core.taskRow(t.tag.taskId);
    const current =
      row !== undefined &&
      (row.status === 'claimed' || row.status === 'blocked') &&
      row.attempt === t.tag.attempt &&
      row.owner === t.agentId;
    if (!current) {
      const ended = ctx.attemptRow(t.tag);
      if (ended && (ended.outcome === 'done' || ended.outcome === 'review' || ended.outcome === 'failed')) {
        ctx.untrack(t.tag); // finished through a result: the ack said so
      } else {
        stopAttempt(ctx, agent, t.tag);
      }
      continue;
    }
    if (row.status === 'claimed' && row.answer !== null) {
      ctx.ledger.transaction(() => {
        const res = ctx.ledger.takeAnswer({ ...t.tag, agentId: t.agentId });
        if (res.ok && 'answer' in res && res.answer !== null)
          send(ctx, agent, { verb: 'reply', to: agent.handle, tag: t.tag, answer: res.answer });
      });
    }
  }
}
