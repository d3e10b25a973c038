import { afterEach, describe, expect, it } from 'vitest';
import { createMemoryChannel, type MemoryChannel } from '../../src/chat/memory-channel.ts';
import { silentLogger } from '../../src/core/logger.ts';
import { Orchestrator } from '../../src/orchestrator/orchestrator.ts';
import { checkSchedule } from '../../src/schedules/schedule-spec.ts';
import { Scheduler } from '../../src/schedules/scheduler.ts';
import { syncConfigSchedules } from '../../src/schedules/sync-config-schedules.ts';
import { tempLedger } from '../support/temp-ledger.ts';
import { waitFor } from '../support/wait-for.ts';

const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (stops.length) await stops.pop()!();
});

const ADMIN = { userIds: ['alice'], roleIds: [], everyone: false };
const alice = { authorId: 'alice', name: 'alice' };
const mallory = { authorId: 'mallory', name: 'mallory' };

/** Real time plus an offset the test moves, so the poster runs normally while slots come on demand. */
function jumpingClock() {
  let offset = 0;
  return { now: () => Date.now() + offset, jump: (ms: number) => (offset += ms) };
}

async function startSwarm() {
  const clock = jumpingClock();
  const ledger = tempLedger({ clock });
  const port = createMemoryChannel();
  const orch = new Orchestrator({ ledger, port, channel: 'main', admins: ADMIN, log: silentLogger });
  await orch.start();
  stops.push(() => orch.stop());
  const scheduler = new Scheduler(ledger, silentLogger, {}, () => orch.poster.kick());
  return { ledger, port, orch, scheduler, clock };
}

async function replyTo(port: MemoryChannel, text: string, who = alice): Promise<string> {
  const id = port.postAsHuman(text, who);
  return (await waitFor(`reply to ${text}`, () => port.transcript().find((m) => m.replyToMessageId === id)))
    .text;
}

async function notice(port: MemoryChannel, pattern: RegExp): Promise<string> {
  return (
    await waitFor(`notice ${pattern}`, () =>
      port.transcript().find((m) => m.fromSwarm && pattern.test(m.text)),
    )
  ).text;
}

describe('schedules from the chat', () => {
  it('adds, lists, pauses, resumes, runs now and removes a schedule; only admins change them', async () => {
    const { ledger, port, orch, scheduler, clock } = await startSwarm();

    expect(await replyTo(port, '/schedule add report every=1m Report', mallory)).toMatch(
      /⛔ \/schedule add changes the swarm and needs an admin/,
    );
    expect(await replyTo(port, '/schedule list', mallory)).toMatch(/no schedules/);

    port.postAsHuman(
      '/schedule add report cron="* * * * *" tz=UTC overlap=allow Weekly report skills=docs priority=7\nCount the new users.',
      alice,
    );
    expect(await notice(port, /schedule report added/)).toMatch(
      /^🗓 schedule report added by alice: cron \* \* \* \* \* \(UTC\) → "Weekly report"; next \d{4}-\d\d-\d\d \d\d:\d\d UTC$/,
    );

    clock.jump(60_000);
    const [first] = scheduler.tick().created;
    expect(first).toMatch(/^sch\.report\.\d{8}T\d{4}00Z$/);
    const taskMessage = await waitFor('task message', () =>
      port.transcript().find((m) => m.heading?.includes(first!)),
    );
    expect(taskMessage.heading).toContain('Weekly report');
    expect(taskMessage.text).toMatch(/schedule report, slot \d{4}-\d\d-\d\d \d\d:\d\d UTC/);
    expect(ledger.getTask(first!)).toMatchObject({
      body: 'Count the new users.',
      skills: ['docs'],
      priority: 7,
    });
    expect(await replyTo(port, `/status ${first!}`, mallory)).toMatch(/schedule report, slot/);

    expect(await replyTo(port, '/schedule pause report', mallory)).toMatch(/needs an admin/);
    port.postAsHuman('/schedule pause report', alice);
    await notice(port, /⏸ schedule report paused by alice/);
    clock.jump(120_000);
    expect(scheduler.tick().created).toEqual([]);
    expect(await replyTo(port, '/schedule list', mallory)).toMatch(
      /⏸ report \[chat\][\s\S]*PAUSED[\s\S]*last .*: sch\.report\.\S+ queued/,
    );

    port.postAsHuman('/schedule resume report', alice);
    expect(await notice(port, /▶️ schedule report resumed/)).toMatch(
      /slots that passed while paused are not run/,
    );
    expect(scheduler.tick().created).toEqual([]);

    port.postAsHuman('/schedule run report', alice);
    const manual = await waitFor('run-now task', () =>
      ledger.listTasks().find((t) => t.id.startsWith('sch.report.run.')),
    );
    await waitFor('run-now message', () =>
      port.transcript().find((m) => m.heading?.includes(manual.id) && /run now at/.test(m.text)),
    );

    port.postAsHuman('/schedule remove report', alice);
    await notice(port, /🗑 schedule report removed: removed by alice/);
    expect(ledger.listSchedules()).toEqual([]);
    clock.jump(60_000);
    expect(scheduler.tick().created).toEqual([]);
    expect(await replyTo(port, '/schedule run report')).toMatch(/no schedule report/);
    await orch.poster.drain(5_000);
    expect(ledger.audit().problems).toEqual([]);
  });

  it('refuses bad schedules with the reason and the usage, creating nothing', async () => {
    const { ledger, port } = await startSwarm();
    const cases: [string, RegExp][] = [
      [
        '/schedule add x cron="61 * * * *" Title',
        /cron '61 \* \* \* \*' is not a valid expression: Invalid value for minute/,
      ],
      ['/schedule add x cron="0 2 * * *" tz=Mars/Base Title', /unknown time zone 'Mars\/Base'/],
      ['/schedule add x every=1m', /needs a title/],
      ['/schedule add x every=1m Title key=K-1', /leave out key=/],
      ['/schedule add x every=1m Title priority=11', /priority must be a whole number from 0 to 9/],
      ['/schedule add x every=1m missed=sometimes Title', /missed must be latest, skip, all or all:N/],
      ['/schedule add X.Y every=1m Title', /a schedule id is/],
      ['/schedule add x Title', /give exactly one of cron/],
      ['/schedule frobnicate x', /unknown action 'frobnicate'/],
      ['/schedule', /say what to do/],
    ];
    for (const [text, problem] of cases) {
      const reply = await replyTo(port, text);
      expect(reply).toMatch(problem);
      expect(reply).toContain('/schedule list | add <id>');
    }
    expect(ledger.listSchedules(true)).toEqual([]);
  });

  it('keeps config schedules apart: removing one from the chat is refused with the reason, pausing works', async () => {
    const { ledger, port } = await startSwarm();
    const checked = checkSchedule({
      id: 'nightly',
      cron: '0 2 * * *',
      timezone: 'UTC',
      task: { title: 'Nightly' },
    });
    if (!checked.ok) throw new Error(checked.problem);
    syncConfigSchedules(ledger, [checked.spec], silentLogger);
    await notice(port, /🗓 schedule nightly added from the config/);
    expect(await replyTo(port, '/schedule remove nightly')).toMatch(
      /schedule nightly is defined in the config file, which the swarm never rewrites: remove it there and restart, or \/schedule pause nightly/,
    );
    expect(ledger.getSchedule('nightly')!.status).toBe('active');
    port.postAsHuman('/schedule pause nightly', alice);
    await notice(port, /⏸ schedule nightly paused/);
    expect(await replyTo(port, '/schedule list')).toMatch(/⏸ nightly \[config\]/);
  });
});
