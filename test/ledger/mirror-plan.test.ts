import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ALWAYS_MIRRORED, isMirrored, planMirror } from '../../src/ledger/mirror-plan.ts';

// Data shapes the plan branches on (missing fields, flags that silence a notice, lists).
const VARIANTS: Record<string, unknown>[] = [
  {},
  { repeat: true },
  { repeat: false, scheduleId: 's1' },
  { artifacts: [], notices: [] },
  { artifacts: [{ path: 'a.txt', sha256: 'x' }], notices: ['n'] },
  { source: 'config', requeued: true, count: 3, more: true, policy: 'skip' },
];

// Every type planMirror has a case for, read from its source so a new case cannot be missed here.
const CASES = [
  ...readFileSync(new URL('../../src/ledger/mirror-plan.ts', import.meta.url), 'utf8').matchAll(
    /^ {4}case '([a-z_]+)':/gm,
  ),
].map((m) => m[1]!);

describe('isMirrored', () => {
  it('reads the cases of the plan', () => {
    expect(CASES).toContain('task_done');
    expect(CASES).toContain('schedule_skipped');
    expect(CASES.length).toBeGreaterThan(30);
  });

  it('agrees with the plan for every event type and data shape', () => {
    for (const type of [...CASES, 'agent_registered', 'no_such_type'])
      for (const d of VARIANTS)
        for (const agentId of [null, 'agent-1'])
          expect({ type, d, mirrored: isMirrored(type, agentId, 'alice [telegram:1]', d, 'T-1') }).toEqual({
            type,
            d,
            mirrored: planMirror(type, agentId, 'alice [telegram:1]', { ...d, taskId: 'T-1' }).length > 0,
          });
  });

  it('lists as always mirrored only types whose plan never comes out empty', () => {
    for (const type of ALWAYS_MIRRORED) {
      expect(CASES).toContain(type);
      for (const d of VARIANTS) expect(planMirror(type, null, 'bob', d).length).toBeGreaterThan(0);
    }
    // The one type whose plan depends on its data: a repeated overlap skip stays in the ledger.
    expect(ALWAYS_MIRRORED.has('schedule_skipped')).toBe(false);
    expect(isMirrored('schedule_skipped', null, 'system', { repeat: true }, null)).toBe(false);
    expect(isMirrored('schedule_skipped', null, 'system', { repeat: false }, null)).toBe(true);
  });
});
