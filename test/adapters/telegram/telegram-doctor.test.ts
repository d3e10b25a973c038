import { createServer, type AddressInfo, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { diagnoseTelegram } from '../../../adapters/telegram/telegram-doctor.ts';
import { tokenShapeProblem } from '../../../adapters/telegram/telegram-token-shape.ts';
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
    expect(report.checks[0]).toMatchObject({
      name: 'orchestrator bot token',
      ok: false,
      fix: expect.stringContaining('@BotFather'),
    });
    // Nothing else could be checked without the orchestrator bot, and nothing claims it was.
    expect(report.checks.slice(1).map((c) => [c.name, c.unchecked])).toEqual([
      ['agent reviewer-001 bot', true],
    ]);
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

/** A server that accepts connections and never answers, like a black-holed proxy. */
async function startSilentServer(): Promise<{ apiRoot: string; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    apiRoot: `http://127.0.0.1:${port}`,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A loopback port nothing listens on. */
async function closedPortApiRoot(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}

describe('diagnoseTelegram: network, server and token told apart', () => {
  it('checks the token shape offline and never shows the token', async () => {
    fx = await createTelegramFixture();
    const shapes = [
      '12345',
      '7000000001:short',
      ' 7000000001:AAabcdefghijklmnopqrstuvwxyz0123456',
      'bot7000000001:AAabcdefghijklmnopqrstuvwxyz0123456',
    ];
    for (const token of shapes) {
      const report = await run({ token, apiRoot: await closedPortApiRoot() });
      const tokenCheck = check(report, 'orchestrator bot token')!;
      expect(tokenCheck).toMatchObject({ ok: false, fix: expect.stringContaining('@BotFather') });
      expect(tokenCheck.unchecked).toBeUndefined();
      expect(JSON.stringify(report)).not.toContain(token.trim());
    }
    expect(tokenShapeProblem(fx.orchestrator.token!)).toBeUndefined();
    expect(tokenShapeProblem('7000000001:AAabc')).toMatch(/5 characters \(expected 35\)/);
  });

  it('blames the network, not the token, when the connection is refused; agents are unchecked', async () => {
    fx = await createTelegramFixture();
    const apiRoot = await closedPortApiRoot();
    const report = await run({ apiRoot });
    const host = new URL(apiRoot).host;
    expect(check(report, 'network')).toMatchObject({
      ok: false,
      detail: expect.stringMatching(new RegExp(`${host}.*ECONNREFUSED`)),
      fix: expect.stringContaining(host),
    });
    expect(check(report, 'orchestrator bot token')).toMatchObject({ ok: false, unchecked: true });
    expect(check(report, 'orchestrator bot token')!.fix).toBeUndefined();
    expect(check(report, 'agent reviewer-001 bot')).toMatchObject({ ok: false, unchecked: true });
    expect(isHealthy(report)).toBe(false);
    expect(JSON.stringify(report)).not.toContain(fx.orchestrator.token!);
  });

  it('gives up on a silent server after its own short timeout, saying it is waiting', async () => {
    fx = await createTelegramFixture();
    const silent = await startSilentServer();
    try {
      const report = await run({ apiRoot: silent.apiRoot, timeoutMs: 2_500 });
      expect(check(report, 'network')).toMatchObject({
        ok: false,
        detail: expect.stringMatching(/timed out/),
      });
      expect(check(report, 'orchestrator bot token')).toMatchObject({ unchecked: true });
      const lines = fx.log.lines.map((l) => l.msg);
      expect(lines.some((m) => m.includes('asking 127.0.0.1'))).toBe(true);
      expect(lines.some((m) => m.includes('still waiting for 127.0.0.1'))).toBe(true);
    } finally {
      await silent.close();
    }
  });

  it("reports a 5xx (even one without description) as the server's error, not the token's", async () => {
    fx = await createTelegramFixture();
    fx.fake.forceAnswer({ status: 502, body: { error: 'bad gateway' }, methods: ['getMe'], count: 1 });
    const report = await run();
    expect(check(report, 'Telegram server')).toMatchObject({
      ok: false,
      fix: expect.stringContaining('try again'),
    });
    expect(check(report, 'orchestrator bot token')).toMatchObject({ unchecked: true });
    expect(check(report, 'agent reviewer-001 bot')).toMatchObject({ unchecked: true });
  });

  it('marks an agent bot unchecked, not passed, when its own check could not reach the server', async () => {
    fx = await createTelegramFixture();
    fx.fake.forceAnswer({
      status: 500,
      body: { ok: false, error_code: 500 },
      methods: ['getMe'],
      botId: fx.agentBot.id,
    });
    const report = await run();
    expect(check(report, 'orchestrator bot token')).toMatchObject({ ok: true });
    expect(check(report, 'agent reviewer-001 bot')).toMatchObject({
      ok: false,
      unchecked: true,
      detail: expect.stringContaining('500'),
    });
    expect(isHealthy(report)).toBe(false);
  });
});
