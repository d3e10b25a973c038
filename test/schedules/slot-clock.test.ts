import { describe, expect, it } from 'vitest';
import { checkSchedule, type ScheduleDefinition } from '../../src/schedules/schedule-spec.ts';
import { slotClockOf } from '../../src/schedules/slot-clock.ts';
import { formatInZone } from '../../src/schedules/zone-time.ts';

function definition(input: Record<string, unknown>): ScheduleDefinition {
  const checked = checkSchedule({ id: 'x', task: { title: 'T' }, ...input });
  if (!checked.ok) throw new Error(checked.problem);
  return checked.spec.definition;
}

const iso = (ms: number[]) => ms.map((t) => new Date(t).toISOString());
const at = (text: string) => Date.parse(text);

describe('slot clock', () => {
  const berlin = definition({ cron: '30 2 * * *', timezone: 'Europe/Berlin' });

  it('does not invent the 02:30 slot on the spring-forward day (2026-03-29 in Berlin)', () => {
    const slots = slotClockOf(berlin).between(at('2026-03-27T12:00:00Z'), at('2026-03-31T12:00:00Z'), 10);
    // 28 March 02:30 CET = 01:30 UTC; no 02:30 on the 29th (clocks jump 02:00 → 03:00); 30 March 02:30 CEST.
    expect(iso(slots)).toEqual([
      '2026-03-28T01:30:00.000Z',
      '2026-03-30T00:30:00.000Z',
      '2026-03-31T00:30:00.000Z',
    ]);
    expect(slots.map((t) => formatInZone(t, 'Europe/Berlin'))).toEqual([
      '2026-03-28 02:30 CET',
      '2026-03-30 02:30 CEST',
      '2026-03-31 02:30 CEST',
    ]);
  });

  it('fires the 02:30 slot once on the fall-back day (2026-10-25), at its first occurrence', () => {
    const slots = slotClockOf(berlin).between(at('2026-10-24T12:00:00Z'), at('2026-10-26T12:00:00Z'), 10);
    expect(iso(slots)).toEqual(['2026-10-25T00:30:00.000Z', '2026-10-26T01:30:00.000Z']);
  });

  it('runs an hourly expression once per wall-clock hour through the repeated hour, and skips the missing one', () => {
    const hourly = slotClockOf(definition({ cron: '0 * * * *', timezone: 'Europe/Berlin' }));
    const fall = hourly.between(at('2026-10-24T22:30:00Z'), at('2026-10-25T03:30:00Z'), 10);
    // 01:00 CEST, 02:00 CEST, (02:00 CET again: not run), 03:00 CET, 04:00 CET.
    expect(fall.map((t) => formatInZone(t, 'Europe/Berlin'))).toEqual([
      '2026-10-25 01:00 CEST',
      '2026-10-25 02:00 CEST',
      '2026-10-25 03:00 CET',
      '2026-10-25 04:00 CET',
    ]);
    const spring = hourly.between(at('2026-03-28T23:30:00Z'), at('2026-03-29T02:30:00Z'), 10);
    expect(spring.map((t) => formatInZone(t, 'Europe/Berlin'))).toEqual([
      '2026-03-29 01:00 CET',
      '2026-03-29 03:00 CEST',
      '2026-03-29 04:00 CEST',
    ]);
  });

  it('gets the newest slots backwards with the same rules', () => {
    const clock = slotClockOf(berlin);
    expect(iso(clock.newest(at('2026-03-27T00:00:00Z'), at('2026-03-30T12:00:00Z'), 2))).toEqual([
      '2026-03-28T01:30:00.000Z',
      '2026-03-30T00:30:00.000Z',
    ]);
    expect(clock.newest(at('2026-03-30T00:30:00Z'), at('2026-03-30T12:00:00Z'), 3)).toEqual([]);
  });

  it('counts an interval in real time from 1970, whatever the zone', () => {
    const every = slotClockOf(definition({ every: '15m', timezone: 'Europe/Berlin' }));
    expect(iso([every.next(at('2026-10-25T00:50:00Z'))!])).toEqual(['2026-10-25T01:00:00.000Z']);
    expect(iso(every.between(at('2026-10-25T00:00:00Z'), at('2026-10-25T01:00:00Z'), 10))).toEqual([
      '2026-10-25T00:15:00.000Z',
      '2026-10-25T00:30:00.000Z',
      '2026-10-25T00:45:00.000Z',
      '2026-10-25T01:00:00.000Z',
    ]);
    expect(iso(every.newest(at('2026-10-25T00:00:00Z'), at('2026-10-25T01:10:00Z'), 2))).toEqual([
      '2026-10-25T00:45:00.000Z',
      '2026-10-25T01:00:00.000Z',
    ]);
  });

  it('reads seconds when the expression has six fields', () => {
    const perSecond = slotClockOf(definition({ cron: '* * * * * *', timezone: 'UTC' }));
    expect(perSecond.between(at('2026-01-01T00:00:00Z'), at('2026-01-01T00:00:03Z'), 10)).toHaveLength(3);
  });
});

describe('checkSchedule', () => {
  it('refuses an invalid expression, an unknown zone, both or neither of cron and every, and bad policies', () => {
    const problem = (input: Record<string, unknown>) => {
      const r = checkSchedule({ id: 'x', task: { title: 'T' }, ...input });
      return r.ok ? 'ok' : r.problem;
    };
    expect(problem({ cron: '61 * * * *' })).toMatch(
      /cron '61 \* \* \* \*' is not a valid expression.*minute/,
    );
    expect(problem({ cron: 'every day' })).toMatch(/not a valid expression/);
    expect(problem({ cron: '0 0 30 2 *' })).toMatch(/never matches a date/);
    expect(problem({ cron: '@reboot' })).toMatch(/not a valid expression/);
    expect(problem({ cron: '0 2 * * *', timezone: 'Mars/Olympus' })).toMatch(
      /unknown time zone 'Mars\/Olympus'/,
    );
    expect(problem({ cron: '0 2 * * *', every: '1h' })).toMatch(/exactly one of cron/);
    expect(problem({})).toMatch(/exactly one of cron/);
    expect(problem({ every: '500ms' })).toMatch(/every must be whole seconds/);
    expect(problem({ every: 'soon' })).toMatch(/every must be whole seconds/);
    expect(problem({ every: '1h', missed: 'some' })).toMatch(/missed must be latest, skip, all or all:N/);
    expect(problem({ every: '1h', missed: 'skip:3' })).toMatch(/only missed=all takes a cap/);
    expect(problem({ every: '1h', overlap: 'queue' })).toMatch(/overlap must be skip or allow/);
    expect(problem({ every: '1h', task: { title: '' } })).toMatch(/title is empty/);
    expect(problem({ every: '1h', task: { title: 'T', timeout: '3d' } })).toMatch(/timeout/);
    expect(problem({ every: '1h', task: { title: 'T', priority: 12 } })).toMatch(/priority/);
    expect(problem({ id: 'Bad.Id', every: '1h' })).toMatch(/schedule id/);
  });

  it('normalises a good schedule: canonical zone, policies and the task template', () => {
    const r = checkSchedule({
      id: 'nightly-report',
      cron: '0  2 * * *',
      timezone: 'europe/berlin',
      missed: 'ALL:3',
      task: { title: '  Nightly report ', skills: ['docs'], timeout: '30m', attempts: 2 },
    });
    expect(r).toEqual({
      ok: true,
      spec: {
        id: 'nightly-report',
        definition: {
          cron: '0 2 * * *',
          timezone: 'Europe/Berlin',
          missed: { policy: 'all', cap: 3 },
          overlap: 'skip',
          task: {
            title: 'Nightly report',
            body: '',
            skills: ['docs'],
            priority: 5,
            review: false,
            maxAttempts: 2,
            timeoutMs: 1_800_000,
          },
        },
      },
    });
  });
});
