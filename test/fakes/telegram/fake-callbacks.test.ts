import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeTelegramServer } from './fake-telegram-server.ts';
import type { FakeAccount, FakeChat } from './fake-telegram-world.ts';

interface ApiAnswer {
  ok: boolean;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- Bot API results are checked field by field
  result?: any;
  error_code?: number;
  description?: string;
}

let fake: FakeTelegramServer;
let bot: FakeAccount;
let alice: FakeAccount;
let chat: FakeChat;
let now = 1_700_000_000_000;

async function call(method: string, params: Record<string, unknown>): Promise<ApiAnswer> {
  // Far enough apart for the flood limits (the clock is the fake's, not the machine's).
  now += 5_000;
  const res = await fetch(`${fake.apiRoot}/bot${bot.token!}/${method}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(params),
  });
  return (await res.json()) as ApiAnswer;
}

const keyboard = (...data: string[]) => ({
  inline_keyboard: [data.map((d, i) => ({ text: `b${i}`, callback_data: d }))],
});

beforeEach(async () => {
  fake = await FakeTelegramServer.start({ now: () => now, callbackAnswerWindowMs: 10_000 });
  bot = fake.addBot('swarm_bot');
  alice = fake.addUser('Alice');
  chat = fake.createChat('room', { members: [alice, { account: bot, status: 'administrator' }] });
});
afterEach(async () => {
  await fake.close();
});

describe('fake telegram inline keyboards and callback queries', () => {
  it('refuses callback_data outside 1–64 bytes with BUTTON_DATA_INVALID', async () => {
    for (const data of ['', 'x'.repeat(65), 'é'.repeat(33)]) {
      const answer = await call('sendMessage', {
        chat_id: chat.id,
        text: 'hi',
        reply_markup: keyboard(data),
      });
      expect(answer).toMatchObject({
        ok: false,
        error_code: 400,
        description: 'Bad Request: BUTTON_DATA_INVALID',
      });
    }
    const ok = await call('sendMessage', {
      chat_id: chat.id,
      text: 'hi',
      reply_markup: keyboard('x'.repeat(64)),
    });
    expect(ok.ok).toBe(true);
    expect(ok.result.reply_markup).toEqual(keyboard('x'.repeat(64)));
  });

  it('delivers a press as a callback_query only to a poller that allows it, and answers it once', async () => {
    const sent = await call('sendMessage', {
      chat_id: chat.id,
      text: 'task',
      reply_markup: keyboard('ts1:a:T-1:1'),
    });
    const onlyMessages = await call('getUpdates', { timeout: 0, allowed_updates: ['message'] });
    expect(onlyMessages.result).toEqual([]);
    const pressed = fake.pressButton(chat.id, sent.result.message_id, alice.id);
    // The remembered allowed_updates drop the press.
    expect((await call('getUpdates', { timeout: 0 })).result).toEqual([]);
    const again = fake.pressButton(chat.id, sent.result.message_id, alice.id);
    const updates = await call('getUpdates', { timeout: 0, allowed_updates: ['message', 'callback_query'] });
    expect(updates.result).toHaveLength(1);
    expect(updates.result[0].callback_query).toMatchObject({
      id: again.id,
      data: 'ts1:a:T-1:1',
      from: { id: alice.id },
      message: { message_id: sent.result.message_id },
    });
    expect(await call('answerCallbackQuery', { callback_query_id: again.id, text: 'done' })).toEqual({
      ok: true,
      result: true,
    });
    expect(fake.callbackQuery(again.id)!.answer).toMatchObject({ text: 'done' });
    const twice = await call('answerCallbackQuery', { callback_query_id: again.id });
    expect(twice.description).toMatch(/query is too old/);
    // The first press was never answered: its progress indicator runs out.
    now = pressed.at + 10_001;
    expect(fake.unansweredCallbacks().map((q) => q.id)).toEqual([pressed.id]);
    const late = await call('answerCallbackQuery', { callback_query_id: pressed.id });
    expect(late).toMatchObject({
      ok: false,
      error_code: 400,
      description: expect.stringMatching(/query is too old/),
    });
  });

  it('edits and removes a keyboard, says "not modified" for the same one, and keeps ForceReply out of edits', async () => {
    const sent = await call('sendMessage', { chat_id: chat.id, text: 'task', reply_markup: keyboard('a') });
    const id = sent.result.message_id as number;
    const same = await call('editMessageText', {
      chat_id: chat.id,
      message_id: id,
      text: 'task',
      reply_markup: keyboard('a'),
    });
    expect(same.description).toMatch(/message is not modified/);
    await call('editMessageText', {
      chat_id: chat.id,
      message_id: id,
      text: 'task',
      reply_markup: keyboard('b'),
    });
    expect(fake.buttonsOf(chat.id, id)).toEqual([[{ text: 'b0', callbackData: 'b' }]]);
    // An edit that names no keyboard removes it.
    await call('editMessageText', { chat_id: chat.id, message_id: id, text: 'task 2' });
    expect(fake.buttonsOf(chat.id, id)).toEqual([]);
    await call('editMessageReplyMarkup', { chat_id: chat.id, message_id: id, reply_markup: keyboard('c') });
    expect(fake.buttonsOf(chat.id, id)).toEqual([[{ text: 'b0', callbackData: 'c' }]]);
    const prompt = await call('sendMessage', {
      chat_id: chat.id,
      text: 'reply please',
      reply_markup: { force_reply: true, input_field_placeholder: 'Your answer' },
    });
    expect(fake.forceReplyOf(chat.id, prompt.result.message_id)).toEqual({ placeholder: 'Your answer' });
    const bad = await call('editMessageReplyMarkup', {
      chat_id: chat.id,
      message_id: id,
      reply_markup: { force_reply: true },
    });
    expect(bad.error_code).toBe(400);
  });
});
