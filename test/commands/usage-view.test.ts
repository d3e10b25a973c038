import { describe, expect, it } from 'vitest';
import { renderStatusUsage, renderTaskUsage, type StatusUsage } from '../../src/commands/usage-view.ts';
import type { UsageRow } from '../../src/ledger/usage-ops.ts';

const row = (costUsd: number, inputTokens: number, outputTokens: number, reports = 1): UsageRow => ({
  costUsd,
  inputTokens,
  outputTokens,
  cachedInputTokens: 0,
  reports,
  model: null,
});
const NONE = row(0, 0, 0, 0);

describe('the spending lines of status and task show', () => {
  it('says nothing when nothing was spent and nothing is held', () => {
    expect(renderStatusUsage({ day: '2026-11-30', today: NONE, agentsToday: [], holds: [] })).toBe('');
    expect(renderTaskUsage({ total: NONE, budget: null, attempts: [] })).toBe('');
  });

  it('lists a swarm hold even on a day without usage (a budget reached before midnight is still held)', () => {
    const u: StatusUsage = {
      day: '2026-11-30',
      today: NONE,
      agentsToday: [],
      holds: [
        { scope: 'swarm', subject: 'swarm', day: '2026-11-30', reason: 'budget exceeded: the swarm', at: 1 },
      ],
    };
    expect(renderStatusUsage(u)).toBe('⛔ swarm not claiming: budget exceeded: the swarm');
  });

  it('keeps the CLI’s order and lists every agent unless told a maximum; then the most expensive first', () => {
    const u: StatusUsage = {
      day: '2026-11-30',
      today: row(1.5, 7_000, 1_400, 3),
      agentsToday: [
        { ...row(0.5, 2_000, 400), agentId: 'a-cheap' },
        { ...row(1, 5_000, 1_000), agentId: 'b-dear' },
      ],
      holds: [],
    };
    expect(renderStatusUsage(u)).toBe(
      'cost today (2026-11-30 UTC): $1.50 · 7.0k in / 1.4k out\n  a-cheap: $0.50 · 2.0k in / 400 out\n  b-dear: $1.00 · 5.0k in / 1.0k out',
    );
    expect(renderStatusUsage(u, { maxAgents: 1 })).toBe(
      'cost today (2026-11-30 UTC): $1.50 · 7.0k in / 1.4k out\n  b-dear: $1.00 · 5.0k in / 1.0k out\n  … and 1 more agent',
    );
  });

  it('shows a task’s budget, cost with its model, and attempts without usage that kept a session', () => {
    expect(
      renderTaskUsage({
        total: { ...row(0.42, 1_200, 300), model: 'm-1' },
        budget: { usd: 2, tokens: 500_000 },
        attempts: [
          { ...row(0.42, 1_200, 300), attempt: 1, session: null },
          { ...NONE, attempt: 2, session: 'sess-2' },
        ],
      }),
    ).toBe(
      'budget: $2.00 or 500k tokens\ncost: $0.42 · 1.2k in / 300 out (m-1)\n  attempt 1: $0.42 · 1.2k in / 300 out\n  attempt 2: no usage reported, session sess-2',
    );
  });
});
