/**
 * The fake's Bot-to-Bot Communication Mode, rule by rule as documented: a bot gets another bot's
 * group message when it contains `/command@ThatBot` or replies to one of its messages and at least
 * one of the two has the mode on; a bot with the mode on that is an admin or has privacy off gets
 * all bot messages; without the mode, no bot messages; never its own. Edits reach the bots that
 * know the message.
 * @see https://core.telegram.org/api/bots/bot-to-bot
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeTelegramServer } from './fake-telegram-server.ts';
import type { FakeAccount, FakeChat } from './fake-telegram-world.ts';

let fake: FakeTelegramServer;
let chat: FakeChat;
let a: FakeAccount;
let b: FakeAccount;
let alice: FakeAccount;

beforeEach(async () => {
  // Flood limits out of the way: these tests are about who sees what.
  fake = await FakeTelegramServer.start({
    flood: { perChat: { max: 100, windowMs: 1_000 }, perGroup: { max: 100, windowMs: 1_000 } },
  });
  a = fake.addBot('alpha_bot');
  b = fake.addBot('beta_bot');
  alice = fake.addUser('Alice', 'alice');
  chat = fake.createChat('Swarm', { members: [alice, a, b] });
});
afterEach(async () => {
  await fake.close();
});

/** What `bot` has been sent so far (texts of new messages and edits). */
function seen(bot: FakeAccount): string[] {
  return fake.world.pendingUpdates(bot.id).map((u) => {
    const m = (u.message ?? u.edited_message) as { text?: string };
    return `${u.edited_message ? 'edit:' : ''}${m.text ?? ''}`;
  });
}

async function send(bot: FakeAccount, text: string, extra: Record<string, unknown> = {}): Promise<number> {
  const res = await fetch(`${fake.apiRoot}/bot${bot.token}/sendMessage`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ chat_id: chat.id, text, ...extra }),
  });
  const body = (await res.json()) as { ok: boolean; result: { message_id: number } };
  expect(body.ok).toBe(true);
  return body.result.message_id;
}

describe('fake Telegram: Bot-to-Bot Communication Mode', () => {
  it('delivers no bot messages when neither bot has the mode', async () => {
    fake.setMemberStatus(chat.id, b.id, 'administrator');
    fake.setPrivacyMode(b.id, false);
    const mine = await send(b, 'from beta');
    await send(a, '/claim@beta_bot T-1#1');
    await send(a, 'a reply', { reply_parameters: { message_id: mine } });
    expect(seen(b)).toEqual([]);
    expect(seen(a)).toEqual([]);
  });

  it('delivers a /command@ThatBot or a reply when one of the two has the mode', async () => {
    fake.setBotToBot(a.id, true);
    const mine = await send(b, 'from beta');
    await send(a, 'plain words');
    await send(a, '/claim@beta_bot T-1#1');
    await send(a, '/claim@someone_else T-1#1');
    await send(a, 'a reply', { reply_parameters: { message_id: mine } });
    expect(seen(b)).toEqual(['/claim@beta_bot T-1#1', 'a reply']);
  });

  it('delivers every bot message to a bot with the mode that is an admin or has privacy off', async () => {
    fake.setBotToBot(b.id, true);
    await send(a, 'plain one');
    expect(seen(b)).toEqual([]);
    fake.setMemberStatus(chat.id, b.id, 'administrator');
    await send(a, 'plain two');
    fake.setMemberStatus(chat.id, b.id, 'member');
    fake.setPrivacyMode(b.id, false);
    await send(a, 'plain three');
    expect(seen(b)).toEqual(['plain two', 'plain three']);
  });

  it('never delivers a bot its own messages, and people still see what they did', async () => {
    fake.setBotToBot(a.id, true);
    fake.setBotToBot(b.id, true);
    fake.setPrivacyMode(a.id, false);
    await send(a, '/claim@alpha_bot T-1#1');
    expect(seen(a)).toEqual([]);
    fake.postAsUser(chat.id, alice.id, '/status@alpha_bot');
    expect(seen(a)).toEqual(['/status@alpha_bot']);
  });

  it('sends an edit as edited_message to the bots that know the message', async () => {
    fake.setBotToBot(a.id, true);
    const c = fake.addBot('gamma_bot');
    fake.createChat('Other', { members: [alice, c] });
    chat.members.set(c.id, 'member');
    const id = await send(a, '/hello@beta_bot beat=1');
    const edit = async (text: string) =>
      fetch(`${fake.apiRoot}/bot${a.token}/editMessageText`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ chat_id: chat.id, message_id: id, text }),
      });
    await edit('/hello@beta_bot beat=2');
    expect(seen(b)).toEqual(['/hello@beta_bot beat=1', 'edit:/hello@beta_bot beat=2']);
    expect(seen(c)).toEqual([]);
    // Re-addressed to gamma: gamma never knew the message, so it gets no edit.
    await edit('/hello@gamma_bot beat=3');
    expect(seen(c)).toEqual([]);
  });

  it('serves a document a bot sent through getFile and the file path', async () => {
    fake.setBotToBot(a.id, true);
    const form = new FormData();
    form.append('chat_id', String(chat.id));
    form.append('caption', '/result@beta_bot T-1#1 outcome=ok bundle=r.json');
    form.append('document', new Blob([Buffer.from('{"x":1}')]), 'r.json');
    const sent = (await (
      await fetch(`${fake.apiRoot}/bot${a.token}/sendDocument`, { method: 'POST', body: form })
    ).json()) as {
      ok: boolean;
    };
    expect(sent.ok).toBe(true);
    const update = fake.world.pendingUpdates(b.id)[0]!.message as { document: { file_id: string } };
    const file = (await (
      await fetch(`${fake.apiRoot}/bot${b.token}/getFile`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ file_id: update.document.file_id }),
      })
    ).json()) as { result: { file_path: string } };
    const content = await (await fetch(`${fake.apiRoot}/file/bot${b.token}/${file.result.file_path}`)).text();
    expect(content).toBe('{"x":1}');
    expect((await fetch(`${fake.apiRoot}/file/bot1:nope/${file.result.file_path}`)).status).toBe(404);
  });
});
