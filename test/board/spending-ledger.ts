import type { Ledger } from '../../src/ledger/ledger.ts';
import { manualClock, tempLedger } from '../support/temp-ledger.ts';

export const HOUR = 3_600_000;
/** Noon, 30 November 2026 (UTC): "today" in these tests. */
export const TODAY_NOON = Date.UTC(2026, 10, 30, 12);

/** The usage fields the board's JSON carries. */
export type Usage = {
  text: string;
  costUsd: number;
  inputTokens: number;
  outputTokens: number;
  reports: number;
};

function claim(ledger: Ledger, taskId: string, agentId: string) {
  const c = ledger.claimTask(taskId, { id: agentId, skills: [] });
  if (c.kind !== 'claimed') throw new Error(`${agentId} could not claim ${taskId}: ${c.kind}`);
  return { taskId, attempt: c.attempt, agentId };
}

/**
 * A ledger with spending for the board's cost tests: coder-1 spent $0.30 on T-1 two days ago; today
 * writer-2 spent $0.42 and $0.08 on two attempts of T-2 (budget $2), coder-1 $1.00 on T-3 (still
 * running) and is held. T-4 cost nothing.
 */
export function spendingLedger() {
  const clock = manualClock(TODAY_NOON - 2 * 24 * HOUR);
  const ledger = tempLedger({ clock });
  for (const id of ['coder-1', 'writer-2']) ledger.registerAgent({ id, skills: [], capacity: 1 });
  ledger.createTask({ title: 'old work' }, 'test');
  ledger.createTask({ title: 'budgeted', budget: { usd: 2 } }, 'test');
  ledger.createTask({ title: 'running' }, 'test');
  ledger.createTask({ title: 'untouched' }, 'test');

  const t1 = claim(ledger, 'T-1', 'coder-1');
  ledger.usage.record(t1, { inputTokens: 10_000, outputTokens: 2_000, costUsd: 0.3, model: 'm-old' });
  ledger.complete(t1, 'old result');

  clock.set(TODAY_NOON);
  const t2a = claim(ledger, 'T-2', 'writer-2');
  ledger.usage.record(t2a, { inputTokens: 1_200, outputTokens: 300, costUsd: 0.42, model: 'm-1' });
  ledger.usage.setSession(t2a, 'sess-abc');
  ledger.fail(t2a, 'crashed');
  clock.advance(HOUR); // past the retry backoff, same UTC day
  const t2b = claim(ledger, 'T-2', 'writer-2');
  ledger.usage.record(t2b, { inputTokens: 800, outputTokens: 100, costUsd: 0.08, model: 'm-1' });
  ledger.complete(t2b, 'budgeted result');

  const t3 = claim(ledger, 'T-3', 'coder-1');
  ledger.usage.record(t3, { inputTokens: 5_000, outputTokens: 1_000, costUsd: 1 });
  const reason = 'budget exceeded: coder-1 spent $1.00 of $1.00 of its daily budget (2026-11-30 UTC)';
  ledger.usage.hold({ scope: 'agent', subject: 'coder-1', day: '2026-11-30', reason }, 'agent:coder-1');
  for (const id of ['coder-1', 'writer-2']) ledger.agentHeartbeat(id);
  return { ledger, clock, t3, reason };
}
