/**
 * What the Discord adapter meets beyond the happy path of our fake: a gateway that keeps turning the
 * connection away, error bodies that are not Discord's shape, a thread listing that fails at start,
 * and a doctor facing Discord's own server errors. Each must be said plainly, never crash or hang.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { diagnoseDiscord } from '../../../adapters/discord/discord-doctor.ts';
import { describeGatewayClose } from '../../../adapters/discord/gateway-close-codes.ts';
import { ChatError } from '../../../src/core/errors.ts';
import { createMessageCollector } from '../../contract/message-collector.ts';
import { captureLogger, ORCHESTRATOR_TOKEN, startDiscordKit, type DiscordKit } from './discord-test-kit.ts';

let kit: DiscordKit | undefined;
afterEach(async () => {
  if (kit) {
    expect(kit.fake.unknownRoutes).toEqual([]);
    await kit.close();
    expect(kit.log.lines.join('\n')).not.toContain(ORCHESTRATOR_TOKEN);
  }
  kit = undefined;
});

const linesWith = (k: DiscordKit, level: string, text: string): string[] =>
  k.log.lines.filter((l) => l.startsWith(`${level} `) && l.includes(text));

describe('discord gateway: every close and rejection is said, with what to do', () => {
  it('a refused upgrade fails start transiently with the status, logged; the next start connects', async () => {
    kit = await startDiscordKit();
    kit.fake.rejectGateway({ count: 1, httpStatus: 503 });
    const port = kit.channel();
    const err = await port.start(async () => {}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ChatError);
    expect(err).toMatchObject({ permanent: false });
    expect((err as Error).message).toMatch(/503/);
    expect(kit.log.lines.some((l) => l.includes('connecting to the gateway'))).toBe(true);
    expect(linesWith(kit, 'warn', 'could not connect to the gateway').join('\n')).toMatch(/503/);
    await port.start(async () => {});
    expect(kit.fake.gatewayRejections).toBe(1);
    // The failed start's client does not come back on its own: one session, one socket.
    await new Promise((r) => setTimeout(r, 1_500));
    expect(kit.fake.gateway.counters.identifies).toBe(1);
    expect(kit.fake.gateway.openSockets).toBe(1);
  });

  it('logs a gateway close code with its meaning, then connects', async () => {
    kit = await startDiscordKit();
    kit.fake.rejectGateway({ count: 2, closeCode: 4000 });
    await kit.channel().start(async () => {});
    const closes = kit.log.lines.filter((l) => l.includes('closed the connection with 4000 (unknown error)'));
    // Repeats within the window go to debug, but every close is logged.
    expect(closes).toHaveLength(2);
    expect(closes[0]).toMatch(/^warn /);
  });

  it('a fatal close (4004) fails start for good with the fix, and logs it as an error', async () => {
    kit = await startDiscordKit();
    kit.fake.rejectGateway({ count: 10, closeCode: 4004 });
    const err = await kit
      .channel()
      .start(async () => {})
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ChatError);
    expect(err).toMatchObject({ permanent: true, platformCode: 4004 });
    expect((err as Error).message).toMatch(/DISCORD_BOT_TOKEN/);
    expect(linesWith(kit, 'error', '4004 (authentication failed)')).toHaveLength(1);
  });

  it('4014 is logged with the portal setting to turn on', async () => {
    kit = await startDiscordKit({
      bots: [{ name: 'orchestrator', token: ORCHESTRATOR_TOKEN, messageContentAllowed: false }],
    });
    await expect(kit.channel().start(async () => {})).rejects.toMatchObject({ platformCode: 4014 });
    expect(linesWith(kit, 'error', '4014').join('\n')).toMatch(/Message Content Intent/);
  });

  it('explains the documented close codes', () => {
    expect(describeGatewayClose(4004)).toMatchObject({ fatal: true, advice: expect.stringMatching(/token/) });
    expect(describeGatewayClose(4013)).toMatchObject({ fatal: true, name: 'invalid intents' });
    expect(describeGatewayClose(4014).advice).toMatch(/Message Content Intent/);
    expect(describeGatewayClose(4009)).toMatchObject({ fatal: false });
    expect(describeGatewayClose(4999)).toMatchObject({ fatal: false, name: 'unexpected close' });
  });
});

describe('discord REST: error bodies of another shape', () => {
  it('turns a 4xx with null, HTML or no code, and a 5xx page, into clear ChatErrors', async () => {
    kit = await startDiscordKit();
    const port = kit.channel();
    await port.start(async () => {});
    const onSend = (method: string, path: string): boolean => method === 'POST' && path.endsWith('/messages');
    const cases: Array<{ status: number; body: unknown; permanent: boolean; text: RegExp }> = [
      { status: 403, body: null, permanent: true, text: /HTTP 403.*not a Discord error/ },
      { status: 404, body: '<html>Not here</html>', permanent: true, text: /HTTP 404.*Not here/ },
      { status: 400, body: { message: 'odd' }, permanent: true, text: /HTTP 400/ },
      { status: 502, body: '<html>Bad Gateway</html>', permanent: false, text: /502/ },
    ];
    for (const [i, c] of cases.entries()) {
      // A 5xx is retried by the REST client: answer every attempt.
      kit.fake.forceAnswer({ status: c.status, body: c.body, count: 10, matches: onSend });
      const err = await port.send({ text: `x${i}`, nonce: `odd-${i}` }).catch((e: unknown) => e);
      expect(err, JSON.stringify(c)).toBeInstanceOf(ChatError);
      expect(err).toMatchObject({ permanent: c.permanent });
      expect((err as Error).message).toMatch(c.text);
      kit.fake.clearForcedAnswers();
    }
  });
});

describe('discord start: thread listing fails', () => {
  it('warns and catches up on the threads the swarm recorded, instead of failing start', async () => {
    kit = await startDiscordKit();
    const first = kit.channel();
    await first.start(async () => {});
    const main = await first.send({ heading: 'T-1 running', text: 'draw', nonce: 'main' });
    await first.send({
      text: 'claimed',
      nonce: 'detail',
      under: { messageId: main.messageId, taskId: 'T-1', title: 'Draw' },
    });
    const thread = main.messageId;
    await first.stop();
    const whileStopped = kit.fake.post('alice', '/note T-1 typed while down', { channelId: thread });

    kit.fake.forceAnswer({
      status: 500,
      body: { message: 'Internal Server Error', code: 0 },
      count: 10,
      matches: (method, path) => method === 'GET' && path.endsWith('/threads/active'),
    });
    const second = kit.channel();
    const inbox = createMessageCollector();
    await second.start(inbox.handler);
    expect(linesWith(kit, 'warn', 'could not list the active threads')).toHaveLength(1);
    const caughtUp = await inbox.waitForId(whileStopped, 20_000);
    expect(caughtUp.threadId).toBe(thread);
  });
});

describe('discord doctor: server errors and a refusing gateway', () => {
  it("says a 5xx was Discord's server error with its status, not that Discord was unreachable", async () => {
    kit = await startDiscordKit();
    kit.fake.forceAnswer({
      status: 502,
      body: '<html>Bad Gateway</html>',
      count: 5,
      matches: (_m, path) => path === '/users/@me',
    });
    const report = await diagnoseDiscord(
      { token: ORCHESTRATOR_TOKEN, channelId: kit.fake.channelId, apiBase: kit.fake.apiBase },
      { log: captureLogger() },
    );
    const api = report.checks.find((c) => c.name === 'Discord API')!;
    expect(api).toMatchObject({ ok: false, detail: expect.stringMatching(/server error.*HTTP 502/) });
    expect(api.detail).not.toMatch(/could not reach/);
    expect(report.checks.find((c) => c.name === 'bot token')).toMatchObject({ unchecked: true });
  });

  it('gives up on a gateway that keeps closing, naming the last close code', async () => {
    kit = await startDiscordKit();
    kit.fake.rejectGateway({ count: 1_000, closeCode: 4000 });
    const log = captureLogger();
    const report = await diagnoseDiscord(
      {
        token: ORCHESTRATOR_TOKEN,
        channelId: kit.fake.channelId,
        apiBase: kit.fake.apiBase,
        gatewayTimeoutMs: 2_000,
      },
      { log },
    );
    expect(report.checks.find((c) => c.name === 'gateway login')).toMatchObject({
      ok: false,
      detail: expect.stringMatching(/within 2 s; last close 4000/),
    });
    expect(log.lines.some((l) => l.includes('closed the connection with 4000'))).toBe(true);
    // The probe's client is gone: no reconnect attempt after it settled.
    await new Promise((r) => setTimeout(r, 1_000));
    const attempts = kit.fake.gatewayRejections;
    await new Promise((r) => setTimeout(r, 2_000));
    expect(kit.fake.gatewayRejections).toBe(attempts);
  });
});
