import { afterEach, describe, expect, it } from 'vitest';
import { diagnoseTelegram } from '../../../adapters/telegram/telegram-doctor.ts';
import { isHealthy, type DoctorReport } from '../../../src/chat/doctor-report.ts';
import { createTelegramFixture, type TelegramFixture } from './telegram-fixture.ts';

let fx: TelegramFixture;
afterEach(async () => {
  await fx.close();
  expect(fx.fake.stats().unknownCalls).toEqual([]);
});

const check = (report: DoctorReport, name: string) => report.checks.find((c) => c.name === name);
const run = (overrides: Record<string, unknown> = {}) => {
  const { token, chatId, apiRoot, agentTokens } = fx.options();
  return diagnoseTelegram(
    { token, chatId, apiRoot: apiRoot!, agentTokens: agentTokens!, ...overrides },
    { log: fx.log },
  );
};

describe('diagnoseTelegram', () => {
  it('passes for an admin orchestrator in a supergroup with valid agent tokens', async () => {
    fx = await createTelegramFixture();
    const report = await run();
    expect(report.checks.map((c) => [c.name, c.ok])).toEqual([
      ['orchestrator bot token', true],
      ['chat', true],
      ['reads commands', true],
      ['agent reviewer-001 bot', true],
    ]);
    expect(isHealthy(report)).toBe(true);
  });

  it('stops at a bad token with the fix, and never shows the token', async () => {
    fx = await createTelegramFixture();
    const bad = '7000000099:AAbadbadbadbadbadbadbadbadbadbadbad';
    const report = await run({ token: bad });
    expect(report.checks).toHaveLength(1);
    expect(report.checks[0]).toMatchObject({ ok: false, fix: expect.stringContaining('@BotFather') });
    expect(JSON.stringify(report)).not.toContain(bad);
    expect(isHealthy(report)).toBe(false);
  });

  it('explains privacy mode when the bot is neither admin nor privacy-off, and accepts privacy off', async () => {
    fx = await createTelegramFixture({ orchestratorAdmin: false });
    const report = await run();
    expect(check(report, 'reads commands')).toMatchObject({
      ok: false,
      fix: expect.stringContaining('/setprivacy'),
    });
    fx.fake.setPrivacyMode(fx.orchestrator.id, false);
    expect(check(await run(), 'reads commands')).toMatchObject({
      ok: true,
      detail: expect.stringContaining('privacy mode off'),
    });
  });

  it('refuses a basic group, names the new id of a migrated one, and reports an unknown chat', async () => {
    fx = await createTelegramFixture();
    const group = fx.fake.createChat('Basic', { type: 'group', members: [fx.alice, fx.orchestrator] });
    expect(check(await run({ chatId: group.id }), 'chat')).toMatchObject({
      ok: false,
      detail: expect.stringContaining('not a supergroup'),
    });
    const newId = fx.fake.migrateToSupergroup(group.id);
    expect(check(await run({ chatId: group.id }), 'chat')).toMatchObject({
      ok: false,
      fix: expect.stringContaining(String(newId)),
    });
    expect(check(await run({ chatId: -100_123 }), 'chat')).toMatchObject({
      ok: false,
      detail: expect.stringContaining('chat not found'),
    });
  });

  it('flags an agent bot that is not in the group and an invalid agent token', async () => {
    fx = await createTelegramFixture();
    const outsider = fx.fake.addBot('outsider_bot');
    const report = await run({
      agentTokens: { 'a-1': outsider.token!, 'a-2': '7000000098:AAnopenopenopenopenopenopenopenopeno' },
    });
    expect(check(report, 'agent a-1 bot')).toMatchObject({
      ok: false,
      fix: 'Add @outsider_bot to the group.',
    });
    expect(check(report, 'agent a-2 bot')).toMatchObject({ ok: false });
    expect(JSON.stringify(report)).not.toContain('AAnopenope');
  });

  it('flags a topic id on a group without topics', async () => {
    fx = await createTelegramFixture();
    expect(check(await run({ topicId: 5 }), 'forum topic')).toMatchObject({ ok: false });
  });
});
