import { describe, expect, it } from 'vitest';
import { readSse, testBoard, TOKEN } from './board-fixture.ts';
import { HOUR, spendingLedger, TODAY_NOON, type Usage } from './spending-ledger.ts';

const bearer = { authorization: `Bearer ${TOKEN}` };

describe('the board shows cost per task, per agent and per day', () => {
  it('puts each task’s cost on its card, each agent’s cost and hold today, and today’s totals in the snapshot', async () => {
    const { ledger, reason } = spendingLedger();
    const board = await testBoard(ledger);
    const snap = (await (await fetch(`${board.base}/api/board`)).json()) as {
      tasks: { id: string; usage: Usage | null }[];
      agents: { id: string; today: Usage | null; hold: string | null }[];
      usage: { day: string; today: Usage; holds: { subject: string }[] };
    };
    const usage = Object.fromEntries(snap.tasks.map((t) => [t.id, t.usage]));
    expect(usage['T-1']).toMatchObject({
      text: '$0.30 · 10k in / 2.0k out',
      inputTokens: 10_000,
      reports: 1,
    });
    expect(usage['T-2']).toMatchObject({ text: '$0.50 · 2.0k in / 400 out', outputTokens: 400, reports: 2 });
    expect(usage['T-2']!.costUsd).toBeCloseTo(0.5, 9);
    expect(usage['T-3']).toMatchObject({ text: '$1.00 · 5.0k in / 1.0k out' });
    expect(usage['T-4']).toBeNull();

    const agents = Object.fromEntries(snap.agents.map((a) => [a.id, a]));
    // Today only: coder-1's $0.30 of two days ago is not in it.
    expect(agents['coder-1']).toMatchObject({ today: { text: '$1.00 · 5.0k in / 1.0k out' }, hold: reason });
    expect(agents['writer-2']).toMatchObject({ today: { text: '$0.50 · 2.0k in / 400 out' }, hold: null });
    expect(snap.usage.day).toBe('2026-11-30');
    expect(snap.usage.today.costUsd).toBeCloseTo(1.5, 9);
    expect(snap.usage.holds.map((h) => h.subject)).toEqual(['coder-1']);
  });

  it('gives the task page its total, budget, and each attempt’s usage and session', async () => {
    const { ledger } = spendingLedger();
    const board = await testBoard(ledger);
    const detail = (await (await fetch(`${board.base}/api/tasks/T-2`)).json()) as {
      usage: { total: Usage & { model: string }; budget: unknown; budgetText: string; attempts: unknown[] };
    };
    expect(detail.usage.total).toMatchObject({ text: '$0.50 · 2.0k in / 400 out', model: 'm-1' });
    expect(detail.usage.budget).toEqual({ usd: 2 });
    expect(detail.usage.budgetText).toBe('$2.00');
    expect(detail.usage.attempts).toMatchObject([
      { attempt: 1, text: '$0.42 · 1.2k in / 300 out', session: 'sess-abc', inputTokens: 1_200 },
      { attempt: 2, text: '$0.08 · 800 in / 100 out', session: null, inputTokens: 800 },
    ]);
    const none = (await (await fetch(`${board.base}/api/tasks/T-4`)).json()) as {
      usage: { total: Usage; budgetText: string | null; attempts: unknown[] };
    };
    expect(none.usage).toMatchObject({ total: { reports: 0, text: '' }, budgetText: null, attempts: [] });
  });

  it('answers the cost per UTC day for the last 14 days with each agent, and validates ?days=', async () => {
    const { ledger, reason } = spendingLedger();
    const board = await testBoard(ledger);
    const cost = (await (await fetch(`${board.base}/api/cost`)).json()) as {
      today: string;
      days: (Usage & { day: string; agents: (Usage & { agentId: string })[] })[];
      total: Usage;
      holds: { subject: string; reason: string }[];
    };
    expect(cost.today).toBe('2026-11-30');
    expect(cost.days.map((d) => d.day)).toEqual(
      Array.from({ length: 14 }, (_, i) => new Date(TODAY_NOON - i * 24 * HOUR).toISOString().slice(0, 10)),
    );
    const [today, yesterday, before] = cost.days;
    expect(today).toMatchObject({ text: '$1.50 · 7.0k in / 1.4k out', reports: 3 });
    expect(today!.agents.map((a) => [a.agentId, a.text])).toEqual([
      ['coder-1', '$1.00 · 5.0k in / 1.0k out'],
      ['writer-2', '$0.50 · 2.0k in / 400 out'],
    ]);
    expect(yesterday).toMatchObject({ day: '2026-11-29', reports: 0, costUsd: 0, text: '', agents: [] });
    expect(before).toMatchObject({ day: '2026-11-28', text: '$0.30 · 10k in / 2.0k out' });
    expect(before!.agents.map((a) => a.agentId)).toEqual(['coder-1']);
    expect(cost.total).toMatchObject({ text: '$1.80 · 17k in / 3.4k out', reports: 4 });
    expect(cost.holds).toMatchObject([{ subject: 'coder-1', reason }]);

    const three = (await (await fetch(`${board.base}/api/cost?days=3`)).json()) as { days: unknown[] };
    expect(three.days).toHaveLength(3);
    for (const bad of ['0', '93', 'abc', '2.5', '-1']) {
      const res = await fetch(`${board.base}/api/cost?days=${bad}`);
      expect(res.status, bad).toBe(400);
      expect(((await res.json()) as { error: string }).error).toMatch(/days is a whole number from 1 to 92/);
    }
  });

  it('needs the token on a token board', async () => {
    const { ledger } = spendingLedger();
    const board = await testBoard(ledger, { token: TOKEN, tokenEnv: 'BOARD_TOKEN' });
    expect((await fetch(`${board.base}/api/cost`)).status).toBe(401);
    expect((await fetch(`${board.base}/api/cost`, { headers: bearer })).status).toBe(200);
  });

  it('streams the new cost with the outcome event: the event records the attempt’s usage, the card the task’s', async () => {
    const { ledger, t3 } = spendingLedger();
    const board = await testBoard(ledger);
    const after = ledger.lastEventSeq();
    ledger.usage.record(t3, { inputTokens: 1_000, outputTokens: 500, costUsd: 0.25 });
    ledger.complete(t3, 'finished');
    const messages = await readSse(`${board.base}/api/events?after=${after}`, {}, (m) =>
      m.some((x) => x.event === 'change' && x.data.includes('"task_done"')),
    );
    const done = JSON.parse(messages.find((m) => m.data.includes('"task_done"'))!.data) as {
      event: { data: { usage: Usage } };
      task: { id: string; usage: Usage };
    };
    expect(done.event.data.usage).toMatchObject({ costUsd: 1.25, inputTokens: 6_000, outputTokens: 1_500 });
    expect(done.task).toMatchObject({ id: 'T-3', usage: { text: '$1.25 · 6.0k in / 1.5k out' } });
  });
});
