import { describe, expect, it } from 'vitest';
import { parseUsageJson } from '../../src/agents/usage-line.ts';
import { priceOf } from '../../src/agents/usage-meter.ts';
import { parseProtocolLine } from '../../src/agents/worker-protocol.ts';
import { parseCommand } from '../../src/commands/command-grammar.ts';
import { toTaskCommand } from '../../src/cli/cmd-task-add.ts';
import { budgetCrossed, formatUsage, msToNextUtcDay, parseBudget, utcDay } from '../../src/core/usage.ts';

describe('budgets as typed', () => {
  it.each([
    ['2', { usd: 2 }],
    ['$2.50', { usd: 2.5 }],
    ['2.5usd', { usd: 2.5 }],
    ['500000tok', { tokens: 500_000 }],
    ['500ktok', { tokens: 500_000 }],
    ['1.5mtok', { tokens: 1_500_000 }],
    ['$2,500ktok', { usd: 2, tokens: 500_000 }],
  ])('reads %s', (raw, budget) => {
    expect(parseBudget(raw)).toEqual({ ok: true, budget });
  });

  it.each(['', '0', '-1', 'abc', '$2,$3', '2eur', '1,2,3', '$2,', '5000000000000tok'])(
    'refuses %j with how to write it',
    (raw) => {
      const parsed = parseBudget(raw);
      expect(parsed.ok).toBe(false);
      if (!parsed.ok) expect(parsed.problem).toMatch(/budget/);
    },
  );

  it('is a /task option and a task add flag, with the same rule', () => {
    const chat = parseCommand('/task Write the report budget=$1.50 skills=docs');
    expect(chat.kind === 'ok' && chat.command.name === 'task' && chat.command.budget).toEqual({ usd: 1.5 });
    expect(chat.kind === 'ok' && chat.command.name === 'task' && chat.command.title).toBe('Write the report');
    const bad = parseCommand('/task Write budget=lots');
    expect(bad.kind).toBe('error');
    expect(toTaskCommand({ titleWords: ['x'], body: undefined, budget: '200ktok' }).budget).toEqual({
      tokens: 200_000,
    });
    expect(() => toTaskCommand({ titleWords: ['x'], body: undefined, budget: 'lots' })).toThrow(
      /a budget is dollars/,
    );
  });

  it('is crossed when the spending reaches it, in dollars or in tokens', () => {
    const spent = { inputTokens: 900, outputTokens: 100, costUsd: 1.99 };
    expect(budgetCrossed({ usd: 2 }, spent)).toBeUndefined();
    expect(budgetCrossed({ usd: 1.99 }, spent)).toBe('$1.99 of $1.99');
    expect(budgetCrossed({ usd: 5, tokens: 1_000 }, spent)).toBe('1.0k of 1.0k tokens');
  });
});

describe('usage lines', () => {
  it('reads a valid ::usage line and refuses a malformed one with the reason', () => {
    expect(
      parseProtocolLine(
        '::usage {"input_tokens":10,"output_tokens":2,"cost_usd":0.01,"model":"m","extra":1}',
      ),
    ).toEqual({
      kind: 'usage',
      report: { inputTokens: 10, outputTokens: 2, costUsd: 0.01, model: 'm' },
    });
    expect(parseProtocolLine('::usage {"input_tokens":1.5,"output_tokens":2}')).toMatchObject({
      kind: 'bad-usage',
    });
    expect(parseProtocolLine('::usage [1]')).toMatchObject({ kind: 'bad-usage' });
    expect(parseUsageJson('{"input_tokens":1,"output_tokens":1,"cost_usd":1e9}').ok).toBe(false);
    expect(parseProtocolLine('::session 5f1c-ab')).toEqual({ kind: 'session', id: '5f1c-ab' });
    expect(parseProtocolLine('::session two words')).toBeNull();
  });

  it('prices tokens only when the worker gave no cost', () => {
    const pricing = { inputUsdPerMTok: 1, outputUsdPerMTok: 2 };
    expect(priceOf({ inputTokens: 1_000_000, outputTokens: 0, costUsd: 0.5 }, pricing)).toBe(0.5);
    expect(priceOf({ inputTokens: 1_000_000, outputTokens: 500_000 }, pricing)).toBe(2);
    expect(priceOf({ inputTokens: 1_000_000, outputTokens: 500_000 }, undefined)).toBe(0);
  });

  it('formats usage and days the way the board shows them', () => {
    expect(formatUsage({ inputTokens: 12_345, outputTokens: 2_100, costUsd: 0.4234, reports: 3 })).toBe(
      '$0.42 · 12k in / 2.1k out',
    );
    expect(formatUsage({ inputTokens: 0, outputTokens: 0, costUsd: 0, reports: 0 })).toBe('');
    expect(utcDay(Date.UTC(2026, 10, 30, 23, 59))).toBe('2026-11-30');
    expect(msToNextUtcDay(Date.UTC(2026, 10, 30, 23, 59))).toBe(60_000);
  });
});
