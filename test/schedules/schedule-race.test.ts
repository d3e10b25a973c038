import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { slotTaskKey } from '../../src/core/schedule-key.ts';
import { Ledger } from '../../src/ledger/ledger.ts';
import { collect, spawnTs } from '../support/spawn-ts.ts';
import { tempDir } from '../support/temp-ledger.ts';
import { addSchedule, scheduleTaskIds } from './schedule-support.ts';

describe('schedulers racing on one ledger file', () => {
  it('four orchestrator processes firing a per-second schedule make exactly one task per slot', async () => {
    const db = join(tempDir(), 'swarm.db');
    const setup = Ledger.open(db, { synchronous: 'normal' });
    addSchedule(setup, { id: 'race', cron: '* * * * * *', missed: 'all:100000', overlap: 'allow' });
    const from = setup.getSchedule('race')!.cursor_at;
    setup.close();

    const racers = Array.from({ length: 4 }, () =>
      collect(spawnTs('test/support/processes/schedule-racer.ts', [db, '4000'])),
    );
    writeFileSync(`${db}.go`, '');
    for (const racer of await Promise.all(racers)) expect(racer.code, racer.stderr).toBe(0);

    const ledger = Ledger.open(db);
    try {
      const to = ledger.getSchedule('race')!.cursor_at;
      const expected: string[] = [];
      for (let t = Math.floor(from / 1_000) * 1_000 + 1_000; t <= to; t += 1_000)
        expected.push(slotTaskKey('race', t));
      expect(expected.length).toBeGreaterThanOrEqual(3);
      expect(scheduleTaskIds(ledger, 'race')).toEqual(expected);
      const fired = ledger.events().filter((e) => e.type === 'schedule_fired');
      expect(fired).toHaveLength(expected.length);
      expect(ledger.audit().problems.filter((p) => p.kind !== 'pending')).toEqual([]);
    } finally {
      ledger.close();
    }
  }, 60_000);
});
