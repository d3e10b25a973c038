import { describe, expect, it } from 'vitest';
import { runScheduleChaos } from '../support/schedule-chaos.ts';
import { tempDir } from '../support/temp-ledger.ts';

describe('schedule chaos', () => {
  // 200 restarts: npm run bench -- schedule-chaos (each process start takes about a second here).
  it('20 kill -9 restarts of `chat-swarm up` running a per-second schedule leave one task for every slot', async () => {
    const result = await runScheduleChaos(tempDir(), 20);
    expect(result.slots).toBeGreaterThanOrEqual(20);
    expect(result.missing).toEqual([]);
    expect(result.extra).toEqual([]);
    expect(result.tasks).toBe(result.slots);
    expect(result.doubleFired).toBe(0);
    expect(result.chainProblems).toEqual([]);
  }, 300_000);
});
