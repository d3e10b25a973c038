/**
 * What the adapter meets in front of servers that are not api.telegram.org (a proxy, a local Bot API
 * server, a look-alike): error bodies of another shape, pages that are not JSON, and long polls that
 * return at once. Each failure must be a clear ChatError and nothing may spin.
 */
import { GrammyError, HttpError } from 'grammy';
import { afterEach, describe, expect, it } from 'vitest';
import { networkReason, toChatError } from '../../../adapters/telegram/to-chat-error.ts';
import type { IncomingMessage } from '../../../src/chat/chat-port.ts';
import { ChatError } from '../../../src/core/errors.ts';
import { waitFor } from '../../contract/message-collector.ts';
import { createTelegramFixture, type TelegramFixture } from './telegram-fixture.ts';

const TOKEN = '7000000001:AAabcdefghijklmnopqrstuvwxyz0123456';
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

let fx: TelegramFixture | undefined;
afterEach(async () => {
  await fx?.close();
  if (fx) expect(fx.fake.stats().unknownCalls).toEqual([]);
  fx = undefined;
});

/** A GrammyError the way grammY builds one from whatever body had `ok` not true. */
const fromBody = (body: Record<string, unknown>): GrammyError =>
  new GrammyError("Call to 'setMyCommands' failed!", body as never, 'setMyCommands', {});

describe('toChatError on answers that are not the Bot API shape', () => {
  it('never throws: no description, no error_code, or fields of the wrong type', () => {
    const bodies: Array<Record<string, unknown>> = [
      { ok: false, error_code: 500 },
      { error: 'internal', status: 500 },
      { ok: false, error_code: '500', description: 42 },
      { ok: false, error_code: 400, description: '' },
      {},
    ];
    for (const body of bodies) {
      const err = toChatError(fromBody(body), 'setMyCommands', [TOKEN]);
      expect(err).toBeInstanceOf(ChatError);
      expect(err.message).toMatch(/^Telegram setMyCommands failed/);
    }
  });

  it('keeps 5xx transient and 4xx permanent when only the description is missing', () => {
    expect(toChatError(fromBody({ ok: false, error_code: 502 }), 'x')).toMatchObject({
      permanent: false,
      platformCode: 502,
      message: expect.stringContaining('no description'),
    });
    expect(toChatError(fromBody({ ok: false, error_code: 403 }), 'x')).toMatchObject({
      permanent: true,
      platformCode: 403,
    });
    // Without a code nothing says the request was wrong: retry rather than give up.
    expect(toChatError(fromBody({ message: 'Internal Server Error' }), 'x')).toMatchObject({
      permanent: false,
      platformCode: 'malformed_answer',
    });
  });

  it('says plainly when the body was not JSON, the call timed out, or the network failed', () => {
    const notJson = Object.assign(new Error('invalid json response body at http://h/bot<t>/getMe'), {
      type: 'invalid-json',
    });
    expect(networkReason(notJson)).toMatchObject({ code: 'invalid_json', text: /not JSON/ });
    expect(networkReason(new Error("Request to 'getMe' timed out after 5 seconds"))).toMatchObject({
      code: 'timeout',
    });
    const dns = Object.assign(new Error('getaddrinfo EAI_AGAIN api.telegram.org'), { code: 'EAI_AGAIN' });
    expect(toChatError(new HttpError('Network request failed', dns), 'getMe')).toMatchObject({
      permanent: false,
      platformCode: 'EAI_AGAIN',
      message: expect.stringContaining('DNS'),
    });
    expect(networkReason(undefined)).toMatchObject({ code: 'network_error' });
  });
});

describe('telegram channel against odd servers', () => {
  it('a 500 without description on setMyCommands (warn-only) is a warning: start succeeds', async () => {
    fx = await createTelegramFixture();
    fx.fake.forceAnswer({ status: 500, body: { error: 'internal' }, methods: ['setMyCommands'], count: 1 });
    const port = fx.channel({ botCommands: [{ command: 'status', description: 'Show the board.' }] });
    await port.start(async () => {});
    const warning = fx.log.lines.find((l) => l.level === 'warn' && l.msg.includes('command menu'));
    expect(warning?.fields?.reason).toMatch(/not a Bot API answer/);
  });

  it('an HTML error page on setMyCommands is a warning too', async () => {
    fx = await createTelegramFixture();
    fx.fake.forceAnswer({
      status: 502,
      body: '<html><body>502 Bad Gateway</body></html>',
      methods: ['setMyCommands'],
      count: 1,
    });
    const port = fx.channel({ botCommands: [{ command: 'status', description: 'Show the board.' }] });
    await port.start(async () => {});
    const warning = fx.log.lines.find((l) => l.level === 'warn' && l.msg.includes('command menu'));
    expect(warning?.fields?.reason).toMatch(/not JSON/);
  });

  it('sends answered with odd bodies fail with a transient or permanent ChatError, never a TypeError', async () => {
    fx = await createTelegramFixture();
    const port = fx.channel();
    fx.fake.forceAnswer({
      status: 500,
      body: { ok: false, error_code: 500 },
      methods: ['sendMessage'],
      count: 1,
    });
    const e500 = await port.send({ text: 'a', nonce: 'n-1' }).catch((e: unknown) => e);
    expect(e500).toBeInstanceOf(ChatError);
    expect(e500).toMatchObject({ permanent: false, platformCode: 500 });
    fx.fake.forceAnswer({
      status: 403,
      body: { ok: false, error_code: 403 },
      methods: ['sendMessage'],
      count: 1,
    });
    const e403 = await port.send({ text: 'b', nonce: 'n-2' }).catch((e: unknown) => e);
    expect(e403).toMatchObject({ permanent: true, platformCode: 403 });
    fx.fake.forceAnswer({ status: 503, body: 'Service Unavailable', methods: ['sendMessage'], count: 1 });
    const e503 = await port.send({ text: 'c', nonce: 'n-3' }).catch((e: unknown) => e);
    expect(e503).toMatchObject({ permanent: false, platformCode: 'invalid_json' });
    expect((await port.send({ text: 'd', nonce: 'n-4' })).messageId).toBeDefined();
  });

  it('does not spin when getUpdates returns at once with nothing (a server ignoring timeout)', async () => {
    fx = await createTelegramFixture();
    fx.fake.ignorePollTimeout();
    const port = fx.channel();
    const got: IncomingMessage[] = [];
    await port.start(async (m) => void got.push(m));
    const before = fx.fake.stats().calls.getUpdates ?? 0;
    await sleep(2_000);
    const polls = (fx.fake.stats().calls.getUpdates ?? 0) - before;
    // A spinning poller makes hundreds of calls in two seconds; the minimum gap allows a handful.
    expect(polls).toBeGreaterThan(0);
    expect(polls).toBeLessThanOrEqual(20);
    const msg = fx.fake.postAsUser(fx.chat.id, fx.alice.id, 'still heard');
    await waitFor('delivery', () => got.find((m) => m.messageId === String(msg.messageId)), 10_000);
  });

  it('backs off on repeated errors from getUpdates instead of spinning', async () => {
    fx = await createTelegramFixture();
    const port = fx.channel({
      polling: { timeoutSeconds: 5, retryMinMs: 100, retryMaxMs: 1_000, conflictRetryMs: 300 },
    });
    await port.start(async () => {});
    fx.fake.forceAnswer({ status: 500, body: { error: 'down' }, methods: ['getUpdates'] });
    const before = fx.fake.stats().calls.getUpdates ?? 0;
    await sleep(2_000);
    const polls = (fx.fake.stats().calls.getUpdates ?? 0) - before;
    expect(polls).toBeLessThanOrEqual(20);
    expect(fx.log.lines.some((l) => l.level === 'warn' && l.msg.includes('polling failed'))).toBe(true);
    fx.fake.clearForcedAnswers();
  });
});
