import { describe, expect, it } from 'vitest';
import { parseCommand } from '../../src/commands/command-grammar.ts';
import { parseConfig } from '../../src/config/load-config.ts';

function ok(text: string) {
  const r = parseCommand(text);
  if (r.kind !== 'ok' || r.command.name !== 'schedule') throw new Error(JSON.stringify(r));
  return r.command;
}

describe('/schedule grammar', () => {
  it('reads add with the schedule options anywhere on the title line, the task options and the body', () => {
    const c = ok(
      '/schedule add Nightly-Report Write the report missed=all:3 cron="0 2 * * 1-5" skills=docs,ops tz=europe/berlin review=yes timeout=20m overlap=allow\nFrom the dashboards.\nKeep it short.',
    );
    expect(c).toEqual({
      name: 'schedule',
      action: 'add',
      scheduleId: 'nightly-report',
      spec: {
        id: 'nightly-report',
        definition: {
          cron: '0 2 * * 1-5',
          timezone: 'Europe/Berlin',
          missed: { policy: 'all', cap: 3 },
          overlap: 'allow',
          task: {
            title: 'Write the report',
            body: 'From the dashboards.\nKeep it short.',
            skills: ['docs', 'ops'],
            priority: 5,
            review: true,
            maxAttempts: 3,
            timeoutMs: 1_200_000,
          },
        },
      },
    });
  });

  it('takes the title (and the options) from the next line when the first has only the schedule', () => {
    const c = ok('/schedule add sweep\nevery=15m Sweep the inbox priority=2\nbody here');
    expect(c.spec?.definition).toMatchObject({
      everyMs: 900_000,
      task: { title: 'Sweep the inbox', priority: 2, body: 'body here' },
    });
  });

  it('reads the other actions and their aliases, and refuses extra words', () => {
    expect(ok('/schedules list')).toEqual({ name: 'schedule', action: 'list' });
    expect(ok('/schedule ls')).toEqual({ name: 'schedule', action: 'list' });
    expect(ok('!schedule RM old-one')).toEqual({ name: 'schedule', action: 'remove', scheduleId: 'old-one' });
    expect(ok('/cron run nightly')).toEqual({ name: 'schedule', action: 'run', scheduleId: 'nightly' });
    expect(parseCommand('/schedule pause a b')).toMatchObject({
      kind: 'error',
      message: /takes only the schedule id/,
    });
    expect(parseCommand('/schedule list all')).toMatchObject({
      kind: 'error',
      message: /takes nothing more/,
    });
    expect(parseCommand('/schedule run')).toMatchObject({
      kind: 'error',
      message: /missing the schedule id/,
    });
    expect(parseCommand('/schedule add x every=1m every=2m T')).toMatchObject({
      kind: 'error',
      message: /every is given twice/,
    });
  });
});

describe('schedules in the config file', () => {
  it('are checked at load, naming the field and the fix', () => {
    const good = parseConfig(
      {
        schedules: [
          { id: 'nightly', cron: '0 2 * * *', timezone: 'UTC', task: { title: 'Nightly', timeout: '30m' } },
        ],
      },
      'test.json',
    );
    expect(good.schedules[0]).toMatchObject({
      id: 'nightly',
      definition: { cron: '0 2 * * *', task: { timeoutMs: 1_800_000 } },
    });
    expect(() =>
      parseConfig({ schedules: [{ id: 'n', cron: '0 25 * * *', task: { title: 'N' } }] }, 'test.json'),
    ).toThrow(
      /cron '0 25 \* \* \*' is not a valid expression: Invalid value for hour[\s\S]*at schedules\[0\]\.cron/,
    );
    expect(() =>
      parseConfig(
        { schedules: [{ id: 'n', every: '1h', timezone: 'Nowhere/City', task: { title: 'N' } }] },
        'test.json',
      ),
    ).toThrow(/unknown time zone 'Nowhere\/City'/);
    expect(() =>
      parseConfig(
        {
          schedules: [
            { id: 'n', every: '1h', task: { title: 'N' } },
            { id: 'n', every: '2h', task: { title: 'M' } },
          ],
        },
        'test.json',
      ),
    ).toThrow(/duplicate schedule id 'n'/);
    expect(() =>
      parseConfig({ schedules: [{ id: 'n', every: '1h', task: { title: 'N', key: 'K' } }] }, 'test.json'),
    ).toThrow(/key/);
  });
});
