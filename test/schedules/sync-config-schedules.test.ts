import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/core/logger.ts';
import { checkSchedule, type ScheduleSpec } from '../../src/schedules/schedule-spec.ts';
import { syncConfigSchedules } from '../../src/schedules/sync-config-schedules.ts';
import { manualClock, tempLedger } from '../support/temp-ledger.ts';
import { addSchedule, handScheduler, notices, scheduleTaskIds } from './schedule-support.ts';

function spec(input: Record<string, unknown>): ScheduleSpec {
  const checked = checkSchedule({ timezone: 'UTC', task: { title: 'from the config' }, ...input });
  if (!checked.ok) throw new Error(checked.problem);
  return checked.spec;
}

describe('config schedules at start', () => {
  it('adds new ones, leaves unchanged ones alone, updates changed ones and marks dropped ones removed', () => {
    const clock = manualClock(Date.parse('2026-01-01T00:00:10Z'));
    const ledger = tempLedger({ clock });
    const a = spec({ id: 'a', cron: '* * * * *', overlap: 'allow' });
    const b = spec({ id: 'b', every: '1h' });
    expect(syncConfigSchedules(ledger, [a, b], silentLogger)).toEqual({
      added: ['a', 'b'],
      updated: [],
      removed: [],
    });
    clock.advance(60_000);
    handScheduler(ledger).tick();
    const events = ledger.lastEventSeq();
    // A restart with the same config changes nothing, not even an event.
    expect(syncConfigSchedules(ledger, [a, b], silentLogger)).toEqual({
      added: [],
      updated: [],
      removed: [],
    });
    expect(ledger.lastEventSeq()).toBe(events);

    ledger.pauseSchedule('b', 'alice');
    const a2 = spec({ id: 'a', cron: '*/2 * * * *', overlap: 'allow' });
    const b2 = spec({ id: 'b', every: '2h' });
    clock.advance(30_000);
    expect(syncConfigSchedules(ledger, [a2, b2], silentLogger)).toEqual({
      added: [],
      updated: ['a', 'b'],
      removed: [],
    });
    expect(ledger.getSchedule('b')!.status).toBe('paused'); // a pause survives a config change
    expect(notices(ledger)).toContain(
      '🗓 schedule a changed in the config: cron */2 * * * * (UTC) → "from the config"; next 2026-01-01 00:02 UTC',
    );

    expect(syncConfigSchedules(ledger, [b2], silentLogger)).toEqual({
      added: [],
      updated: [],
      removed: ['a'],
    });
    expect(ledger.getSchedule('a')).toMatchObject({
      status: 'removed',
      removed_reason: 'no longer in the config',
    });
    expect(scheduleTaskIds(ledger, 'a')).toHaveLength(1); // history kept
    expect(notices(ledger).at(-1)).toBe('🗑 schedule a removed: no longer in the config; its history is kept');
    clock.advance(10 * 60_000);
    expect(handScheduler(ledger).tick().created).toEqual([]);

    expect(syncConfigSchedules(ledger, [a2, b2], silentLogger)).toEqual({
      added: [],
      updated: ['a'],
      removed: [],
    });
    expect(ledger.getSchedule('a')!.status).toBe('active');
  });

  it('takes over a chat-made schedule of the same id, and leaves chat-made ones alone otherwise', () => {
    const ledger = tempLedger();
    addSchedule(ledger, { id: 'mine', every: '1h' });
    addSchedule(ledger, { id: 'shared', every: '1h' });
    expect(syncConfigSchedules(ledger, [spec({ id: 'shared', every: '1h' })], silentLogger)).toEqual({
      added: [],
      updated: ['shared'],
      removed: [],
    });
    expect(ledger.getSchedule('shared')!.source).toBe('config');
    expect(ledger.getSchedule('mine')).toMatchObject({ source: 'cli', status: 'active' });
    expect(syncConfigSchedules(ledger, [], silentLogger).removed).toEqual(['shared']);
    expect(ledger.getSchedule('mine')!.status).toBe('active');
  });
});
