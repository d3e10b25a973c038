import type { ArbiterContext } from './arbiter-context.ts';
import { send } from './arbiter-sending.ts';
import { formatTag } from './protocol-types.ts';

/** Attempts whose passed-over agents are remembered (the oldest are forgotten first). */
const PASSED_KEPT = 1_000;

/** 1 when `agentId` let the offer of `key` pass before, else 0 (for sorting). */
function passedFirst(ctx: ArbiterContext, key: string, agentId: string): number {
  return ctx.passed.get(key)?.has(agentId) ? 1 : 0;
}

/** Offers queued attempts to present agents with the skills and a free slot, `offerFanout` at a time. */
export function makeOffers(ctx: ArbiterContext): void {
  const { ledger } = ctx;
  if (ledger.isSwarmPaused()) return;
  const now = ctx.now();
  for (const [key, offer] of ctx.offers) {
    if (now - sentAt(ctx, offer) <= ctx.settings.offerTimeoutMs) continue;
    ctx.offers.delete(key);
    // Those who let it pass come last next time: it goes to the next agent.
    const passed = ctx.passed.get(key) ?? new Set<string>();
    for (const id of offer.agents) passed.add(id);
    ctx.passed.set(key, passed);
    if (ctx.passed.size > PASSED_KEPT) ctx.passed.delete(ctx.passed.keys().next().value!);
  }
  const present = [...ctx.presence.entries()].filter(
    ([id, p]) =>
      now - p.lastHeardAt <= ctx.settings.presenceTtlMs && ledger.getAgent(id)?.status === 'active',
  );
  if (present.length === 0) return;
  const outstanding = new Map<string, number>();
  for (const offer of ctx.offers.values())
    for (const id of offer.agents) outstanding.set(id, (outstanding.get(id) ?? 0) + 1);
  const rows = ledger.core
    .sql(
      `SELECT id, attempt, skills, assignee, title FROM tasks WHERE status = 'queued' AND deps_pending = 0
       AND not_before <= ? ORDER BY priority DESC, seq LIMIT 50`,
    )
    .all(now) as Array<{
    id: string;
    attempt: number;
    skills: string;
    assignee: string | null;
    title: string;
  }>;
  for (const row of rows) {
    const tag = { taskId: row.id, attempt: row.attempt + 1 };
    const key = formatTag(tag);
    if (ctx.offers.has(key)) continue;
    const skills = JSON.parse(row.skills) as string[];
    const candidates = present
      .filter(([id, p]) => {
        if (row.assignee !== null && row.assignee !== id) return false;
        if (p.free - (outstanding.get(id) ?? 0) <= 0) return false;
        return skills.every((s) => p.skills.includes(s));
      })
      .sort(
        ([idA, a], [idB, b]) => passedFirst(ctx, key, idA) - passedFirst(ctx, key, idB) || b.free - a.free,
      )
      .slice(0, ctx.settings.offerFanout);
    if (candidates.length === 0) continue;
    const agents = new Set<string>();
    const outboxIds: number[] = [];
    for (const [id] of candidates) {
      const agent = ctx.byId.get(id)!;
      agents.add(id);
      outstanding.set(id, (outstanding.get(id) ?? 0) + 1);
      outboxIds.push(
        send(ctx, agent, { verb: 'offer', to: agent.handle, tag, agent: id, title: row.title.slice(0, 120) }),
      );
    }
    ctx.offers.set(key, { at: now, agents, outboxIds });
  }
}

/**
 * When the offer reached the channel: its timeout runs from then, not from when it was queued, so
 * an offer still waiting behind the platform's rate limit is not made again to the next agent
 * (which would add messages to the very backlog that held it up). `now` while any is still waiting.
 */
function sentAt(ctx: ArbiterContext, offer: { at: number; outboxIds: number[] }): number {
  let last = offer.at;
  for (const id of offer.outboxIds) {
    const row = ctx.ledger.core.sql('SELECT status, sent_at FROM outbox WHERE id = ?').get(id) as
      { status: string; sent_at: number | null } | undefined;
    if (row?.status === 'pending') return ctx.now();
    if (row?.sent_at != null) last = Math.max(last, row.sent_at);
  }
  return last;
}
