import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { slotTaskKey } from '../../src/core/schedule-key.ts';
import { Ledger } from '../../src/ledger/ledger.ts';
import { manualClock, tempDir, tempLedger } from '../support/temp-ledger.ts';
import { addSchedule, handScheduler, notices, scheduleTaskIds } from './schedule-support.ts';

const MIN = 60_000;
const HOUR = 3_600_000;
const T0 = Date.parse('2026-01-01T00:00:10Z');
const key = (id: string, iso: string) => slotTaskKey(id, Date.parse(iso));

describe('scheduler (injected clock)', () => {
  it('makes one task per slot of an every-minute schedule across an orchestrator restart', () => {
    const db = join(tempDir(), 'swarm.db');
    const clock = manualClock(T0);
    let ledger = Ledger.open(db, { clock, synchronous: 'normal' });
    addSchedule(ledger, { id: 'tick', cron: '* * * * *', overlap: 'allow' });
    let scheduler = handScheduler(ledger);
    clock.advance(MIN); // 00:01:10
    expect(scheduler.tick().created).toEqual([key('tick', '2026-01-01T00:01:00Z')]);
    expect(scheduler.tick().created).toEqual([]);
    clock.advance(MIN); // 00:02:10
    scheduler.tick();
    // Restart: a new connection and a new scheduler, at the same instant and again later.
    ledger.close();
    ledger = Ledger.open(db, { clock, synchronous: 'normal' });
    scheduler = handScheduler(ledger);
    expect(scheduler.tick().created).toEqual([]);
    clock.advance(30_000); // 00:02:40
    expect(scheduler.tick().created).toEqual([]);
    clock.advance(30_000); // 00:03:10
    expect(scheduler.tick().created).toEqual([key('tick', '2026-01-01T00:03:00Z')]);
    expect(scheduleTaskIds(ledger, 'tick')).toEqual([
      key('tick', '2026-01-01T00:01:00Z'),
      key('tick', '2026-01-01T00:02:00Z'),
      key('tick', '2026-01-01T00:03:00Z'),
    ]);
    const task = ledger.getTask(key('tick', '2026-01-01T00:03:00Z'))!;
    expect(task).toMatchObject({ title: 'scheduled work', createdBy: 'schedule:tick', status: 'queued' });
    expect(ledger.events({ taskId: task.id }).map((e) => e.type)).toEqual(['task_created', 'schedule_fired']);
    expect(ledger.audit().problems.filter((p) => p.kind !== 'pending')).toEqual([]);
    ledger.close();
  });

  it('makes one task per slot when two ledger connections and two schedulers race, one with a clock behind', () => {
    const db = join(tempDir(), 'swarm.db');
    const clock = manualClock(T0);
    const behind = { now: () => clock.now() - 45_000 };
    const a = Ledger.open(db, { clock, synchronous: 'normal' });
    const b = Ledger.open(db, { clock: behind, synchronous: 'normal' });
    addSchedule(a, { id: 'race', cron: '* * * * * *', missed: 'all:100000', overlap: 'allow' });
    const sa = handScheduler(a);
    const sb = handScheduler(b);
    let seed = 7;
    const random = () => (seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648) / 2_147_483_648;
    for (let i = 0; i < 300; i++) {
      clock.advance(Math.floor(random() * 3_000));
      if (random() < 0.5) {
        sa.tick();
        sb.tick();
      } else {
        sb.tick();
        sa.tick();
      }
    }
    sa.tick();
    const end = Math.floor(clock.now() / 1_000) * 1_000;
    const expected: string[] = [];
    for (let t = T0 - 10_000 + 1_000 * 11; t <= end; t += 1_000) expected.push(slotTaskKey('race', t));
    expect(scheduleTaskIds(a, 'race')).toEqual(expected);
    const fires = a.db
      .prepare("SELECT COUNT(*) AS n, COUNT(DISTINCT slot_at) AS d FROM schedule_fires WHERE kind = 'slot'")
      .get() as { n: number; d: number };
    expect(fires).toEqual({ n: expected.length, d: expected.length });
    a.close();
    b.close();
  });

  it('never fires a slot again after the clock jumps back, and treats a jump forward as missed slots', () => {
    const clock = manualClock(T0);
    const ledger = tempLedger({ clock });
    addSchedule(ledger, { id: 'jumpy', cron: '*/5 * * * *', overlap: 'allow' });
    const s = handScheduler(ledger);
    clock.advance(5 * MIN);
    expect(s.tick().created).toHaveLength(1);
    clock.advance(-20 * MIN);
    expect(s.tick().created).toHaveLength(0);
    clock.advance(20 * MIN); // back where it was
    expect(s.tick().created).toHaveLength(0);
    clock.advance(2 * HOUR); // 02:05:10: 24 slots passed, the newest (02:05) on time; missed=latest runs it only
    const res = s.tick();
    expect(res.created).toEqual([key('jumpy', '2026-01-01T02:05:00Z')]);
    expect(notices(ledger).at(-1)).toBe(
      '⏰ jumpy: 23 slots were missed (2026-01-01 00:10 UTC … 2026-01-01 02:00 UTC) while the scheduler was late; ran only the latest (2026-01-01 02:05 UTC)',
    );
  });

  describe('missed slots while the swarm was down', () => {
    /** An hourly schedule made at 00:00:10, then nothing ran until 03:30:10 (slots 01:00, 02:00, 03:00 passed). */
    function downThreeHours(missed: string) {
      const clock = manualClock(T0);
      const ledger = tempLedger({ clock });
      addSchedule(ledger, { id: 'hourly', cron: '0 * * * *', missed, overlap: 'allow' });
      clock.advance(3.5 * HOUR);
      const result = handScheduler(ledger).tick();
      return { ledger, result, notice: notices(ledger).at(-1) };
    }

    it('latest (the default): runs the newest missed slot once and says so', () => {
      const { ledger, result, notice } = downThreeHours('latest');
      expect(result.created).toEqual([key('hourly', '2026-01-01T03:00:00Z')]);
      expect(scheduleTaskIds(ledger, 'hourly')).toHaveLength(1);
      expect(notice).toBe(
        '⏰ hourly: 3 slots were missed (2026-01-01 01:00 UTC … 2026-01-01 03:00 UTC) while the swarm was down; ran only the latest (2026-01-01 03:00 UTC)',
      );
    });

    it('skip: runs none of them and says so', () => {
      const { ledger, result, notice } = downThreeHours('skip');
      expect(result.created).toEqual([]);
      expect(scheduleTaskIds(ledger, 'hourly')).toHaveLength(0);
      expect(notice).toMatch(
        /^⏰ hourly: 3 slots were missed .* while the swarm was down; skipped them \(missed=skip\)$/,
      );
    });

    it('all:N: runs the newest N, in slot order, and says which were left', () => {
      const { ledger, result, notice } = downThreeHours('all:2');
      expect(scheduleTaskIds(ledger, 'hourly')).toHaveLength(2);
      expect(result.created).toEqual([
        key('hourly', '2026-01-01T02:00:00Z'),
        key('hourly', '2026-01-01T03:00:00Z'),
      ]);
      expect(notice).toMatch(/ran 2 missed slots, skipped the 1 oldest slot \(cap 2\)$/);
      const all = downThreeHours('all');
      expect(all.result.created).toHaveLength(3);
      expect(all.notice).toMatch(/ran 3 missed slots$/);
    });

    it('a slot noticed within the grace period is on time: no catch-up, no notice', () => {
      const clock = manualClock(T0);
      const ledger = tempLedger({ clock });
      addSchedule(ledger, { id: 'soon', cron: '* * * * *', missed: 'skip' });
      clock.advance(MIN + 30_000); // slot 00:01 noticed 40 s late
      expect(handScheduler(ledger).tick().created).toEqual([key('soon', '2026-01-01T00:01:00Z')]);
      expect(notices(ledger).filter((n) => n.startsWith('⏰'))).toEqual([]);
    });

    it('one missed nightly slot under latest runs it now', () => {
      const clock = manualClock(Date.parse('2026-01-01T12:00:00Z'));
      const ledger = tempLedger({ clock });
      addSchedule(ledger, { id: 'nightly', cron: '0 2 * * *', timezone: 'Europe/Berlin' });
      clock.set(Date.parse('2026-01-02T07:00:00Z'));
      expect(handScheduler(ledger).tick().created).toEqual([key('nightly', '2026-01-02T01:00:00Z')]);
      expect(notices(ledger).at(-1)).toBe(
        '⏰ nightly: the 2026-01-02 02:00 CET slot was missed while the swarm was down; ran it now',
      );
    });
  });

  describe('overlap', () => {
    it('skip (the default): skips slots while the previous task is open, says so once, counts the rest', () => {
      const clock = manualClock(T0);
      const ledger = tempLedger({ clock });
      addSchedule(ledger, { id: 'slow', cron: '* * * * *' });
      const s = handScheduler(ledger);
      clock.advance(MIN);
      const [first] = s.tick().created;
      clock.advance(MIN);
      expect(s.tick()).toMatchObject({ created: [], skipped: 1 });
      clock.advance(MIN);
      expect(s.tick()).toMatchObject({ created: [], skipped: 1 });
      const skips = notices(ledger).filter((n) => n.startsWith('⏭'));
      expect(skips).toEqual([
        `⏭ slow: skipped the 2026-01-01 00:02 UTC slot: ${first} is still open (overlap=skip); later slots are skipped too while it stays open`,
      ]);
      expect(ledger.events().filter((e) => e.type === 'schedule_skipped')).toHaveLength(2);
      expect(ledger.scheduleHistory('slow')).toMatchObject({ skipped: 2, open: first });
      ledger.cancel(first!, 'test');
      clock.advance(MIN);
      expect(s.tick().created).toEqual([key('slow', '2026-01-01T00:04:00Z')]);
    });

    it('allow: makes a task for every slot while earlier ones are open', () => {
      const clock = manualClock(T0);
      const ledger = tempLedger({ clock });
      addSchedule(ledger, { id: 'busy', cron: '* * * * *', overlap: 'allow' });
      const s = handScheduler(ledger);
      for (let i = 0; i < 3; i++) {
        clock.advance(MIN);
        s.tick();
      }
      expect(scheduleTaskIds(ledger, 'busy')).toHaveLength(3);
      expect(notices(ledger).filter((n) => n.startsWith('⏭'))).toEqual([]);
    });

    it('applies to a catch-up too: under all and skip, only the first missed slot runs', () => {
      const clock = manualClock(T0);
      const ledger = tempLedger({ clock });
      addSchedule(ledger, { id: 'both', cron: '0 * * * *', missed: 'all' });
      clock.advance(3.5 * HOUR);
      expect(handScheduler(ledger).tick()).toMatchObject({
        created: [key('both', '2026-01-01T01:00:00Z')],
        skipped: 2,
      });
    });
  });

  describe('daylight saving in Europe/Berlin, daily at 02:30', () => {
    function runThrough(fromIso: string, toIso: string) {
      const clock = manualClock(Date.parse(fromIso));
      const ledger = tempLedger({ clock });
      addSchedule(ledger, { id: 'dst', cron: '30 2 * * *', timezone: 'Europe/Berlin', overlap: 'allow' });
      const s = handScheduler(ledger);
      while (clock.now() < Date.parse(toIso)) {
        clock.advance(10 * MIN);
        s.tick();
      }
      return { ids: scheduleTaskIds(ledger, 'dst'), notices: notices(ledger) };
    }

    it('makes no task on the spring-forward day (2026-03-29, no 02:30 that night)', () => {
      const { ids, notices: n } = runThrough('2026-03-27T12:00:00Z', '2026-03-31T12:00:00Z');
      expect(ids).toEqual([
        key('dst', '2026-03-28T01:30:00Z'),
        key('dst', '2026-03-30T00:30:00Z'),
        key('dst', '2026-03-31T00:30:00Z'),
      ]);
      expect(n.filter((x) => x.startsWith('⏰'))).toEqual([]);
    });

    it('makes one task on the fall-back day (2026-10-25, 02:30 happens twice)', () => {
      const { ids } = runThrough('2026-10-23T12:00:00Z', '2026-10-26T12:00:00Z');
      expect(ids).toEqual([
        key('dst', '2026-10-24T00:30:00Z'),
        key('dst', '2026-10-25T00:30:00Z'),
        key('dst', '2026-10-26T01:30:00Z'),
      ]);
    });
  });

  it('does not fire a paused schedule; on resume, slots that passed while paused are not run', () => {
    const clock = manualClock(T0);
    const ledger = tempLedger({ clock });
    addSchedule(ledger, { id: 'pausable', cron: '* * * * *', missed: 'all' });
    const s = handScheduler(ledger);
    ledger.pauseSchedule('pausable', 'alice');
    clock.advance(5 * MIN);
    expect(s.tick().created).toEqual([]);
    ledger.resumeSchedule('pausable', 'alice', () => 'soon');
    expect(s.tick().created).toEqual([]);
    clock.advance(MIN);
    expect(s.tick().created).toEqual([key('pausable', '2026-01-01T00:06:00Z')]);
    expect(notices(ledger).filter((n) => n.startsWith('⏰'))).toEqual([]);
  });
});
