import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.ts';
import { silentLogger } from '../../src/core/logger.ts';
import { Ledger } from '../../src/ledger/ledger.ts';
import { checkSchedule } from '../../src/schedules/schedule-spec.ts';
import { syncConfigSchedules } from '../../src/schedules/sync-config-schedules.ts';
import { tempDir } from '../support/temp-ledger.ts';

function io() {
  const out: string[] = [];
  const err: string[] = [];
  return {
    io: { out: (t: string) => out.push(t), err: (t: string) => err.push(t), env: { USER: 'ops' } },
    out,
    err,
  };
}

async function run(args: string[]) {
  const r = io();
  const code = await main(['schedule', ...args], r.io);
  return { code, out: r.out.join('\n'), err: r.err.join('\n') };
}

describe('chat-swarm schedule', () => {
  it('adds, lists, pauses, resumes, runs now and removes a schedule', async () => {
    const db = join(tempDir(), 'swarm.db');
    const added = await run([
      'add',
      'weekly-summary',
      'Monday',
      'summary',
      '--cron',
      '0 9 * * 1',
      '--tz',
      'America/New_York',
      '--skills',
      'docs',
      '--priority',
      '7',
      '--missed',
      'skip',
      '--body',
      'Summarise last week.',
      '--db',
      db,
    ]);
    expect(added.code, added.err).toBe(0);
    expect(added.out).toMatch(
      /^added weekly-summary\n🗓 weekly-summary \[cli\] cron 0 9 \* \* 1 \(America\/New_York\) → "Monday summary"\n {3}next \d{4}-\d\d-\d\d 09:00 E[SD]T · last none yet · missed=skip overlap=skip$/,
    );

    const list = await run(['list', '--json', '--db', db]);
    expect(JSON.parse(list.out)).toMatchObject([
      { id: 'weekly-summary', source: 'cli', status: 'active', missed: 'skip', overlap: 'skip', last: null },
    ]);

    expect((await run(['pause', 'weekly-summary', '--db', db])).out).toBe('paused weekly-summary');
    const again = await run(['pause', 'weekly-summary', '--db', db]);
    expect(again).toMatchObject({ code: 1, err: 'schedule weekly-summary is already paused' });
    expect((await run(['list', '--db', db])).out).toMatch(/⏸ weekly-summary .*\n {3}PAUSED/);
    expect((await run(['resume', 'weekly-summary', '--db', db])).code).toBe(0);

    const ran = await run(['run', 'weekly-summary', '--db', db]);
    expect(ran.code).toBe(0);
    expect(ran.out).toMatch(/last .* \(run now\): sch\.weekly-summary\.run\.\d{8}T\d{9}Z queued/);
    const ledger = Ledger.open(db);
    const task = ledger.listTasks()[0]!;
    expect(task).toMatchObject({
      title: 'Monday summary',
      body: 'Summarise last week.',
      skills: ['docs'],
      priority: 7,
    });
    ledger.close();
    const shown = io();
    expect(await main(['task', 'show', task.id, '--db', db], shown.io)).toBe(0);
    expect(shown.out.join('\n')).toMatch(
      /schedule weekly-summary, run now at \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC/,
    );

    expect((await run(['remove', 'weekly-summary', '--db', db])).out).toBe('removed weekly-summary');
    expect((await run(['list', '--db', db])).out).toMatch(/no schedules/);
    expect((await run(['list', '--all', '--db', db])).out).toMatch(
      /🗑 weekly-summary .*\n {3}removed: removed by cli/,
    );
    expect(await run(['run', 'weekly-summary', '--db', db])).toMatchObject({
      code: 1,
      err: /no schedule weekly-summary/,
    });
  });

  it('refuses invalid expressions, unknown zones and bad templates with exit 2, creating nothing', async () => {
    const db = join(tempDir(), 'swarm.db');
    const cases: [string[], RegExp][] = [
      [['add', 'x', 'T', '--cron', '0 0 * * 8'], /cron '0 0 \* \* 8' is not a valid expression/],
      [
        ['add', 'x', 'T', '--cron', '0 2 * * *', '--tz', 'Europe/Atlantis'],
        /unknown time zone 'Europe\/Atlantis'/,
      ],
      [['add', 'x', 'T', '--every', '15m', '--timeout', '25h'], /timeout must be from 1s to 24h/],
      [['add', 'x', 'T'], /give exactly one of cron/],
      [['add', 'x', '', '--every', '1h'], /title/],
      [['add', 'x y', 'T', '--every', '1h'], /schedule id/],
      [['pause'], /missing the schedule id/],
    ];
    for (const [args, problem] of cases) {
      const r = await run([...args, '--db', db]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.err).toMatch(problem);
      expect(r.err).toContain('chat-swarm schedule add <id> <title>');
    }
    const ledger = Ledger.open(db);
    expect(ledger.listSchedules(true)).toEqual([]);
    ledger.close();
  });

  it('refuses to remove a schedule that the config file defines, and says how to stop it', async () => {
    const db = join(tempDir(), 'swarm.db');
    const ledger = Ledger.open(db);
    const checked = checkSchedule({ id: 'nightly', every: '1d', task: { title: 'Nightly' } });
    if (!checked.ok) throw new Error(checked.problem);
    syncConfigSchedules(ledger, [checked.spec], silentLogger);
    ledger.close();
    const r = await run(['remove', 'nightly', '--db', db]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/defined in the config file.*\/schedule pause nightly/);
    expect((await run(['pause', 'nightly', '--db', db])).code).toBe(0);
  });
});
