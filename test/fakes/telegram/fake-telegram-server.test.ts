import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeTelegramServer } from './fake-telegram-server.ts';
import type { FakeAccount, FakeChat } from './fake-telegram-world.ts';
import { parseTelegramHtml } from './telegram-html-parser.ts';

interface ApiAnswer {
  ok: boolean;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- Bot API results are checked field by field
  result?: any;
  error_code?: number;
  description?: string;
  parameters?: { retry_after?: number; migrate_to_chat_id?: number };
}

describe('parseTelegramHtml', () => {
  it('renders tags and entities to plain text with entities', () => {
    const parsed = parseTelegramHtml(
      '<b>T-1 &amp; co</b>\n&lt;x&gt; &#33; <a href="http://a.test/?q=1&amp;r=2">l</a>',
    );
    expect(parsed.text).toBe('T-1 & co\n<x> ! l');
    expect(parsed.entities).toEqual([
      { type: 'bold', offset: 0, length: 8 },
      { type: 'text_link', offset: 15, length: 1, url: 'http://a.test/?q=1&r=2' },
    ]);
  });

  it.each([
    ['a < b', 'Unsupported start tag "" at byte offset 2'],
    ['<br>', 'Unsupported start tag "br" at byte offset 0'],
    ['x <b', 'Unclosed start tag at byte offset 2'],
    ['<b>x</i>', 'Unmatched end tag at byte offset 4, expected "</b>", found "</i>"'],
    ['<b>x', 'Can\'t find end tag corresponding to start tag "b"'],
    ['x</b>', 'Unexpected end tag at byte offset 1'],
    ['<span>x</span>', 'Tag "span" must have class "tg-spoiler" at byte offset 0'],
    ['R&D', 'Unescaped "&" at byte offset 1'],
  ])('refuses %j like the server', (html, message) => {
    expect(() => parseTelegramHtml(html)).toThrow(message);
  });

  it('keeps a lone & literally when not strict, like the real server', () => {
    expect(parseTelegramHtml('R&D', { strictAmpersand: false }).text).toBe('R&D');
  });
});

describe('FakeTelegramServer', () => {
  let fake: FakeTelegramServer;
  let orchestrator: FakeAccount;
  let agentBot: FakeAccount;
  let alice: FakeAccount;
  let chat: FakeChat;
  let clock = 1_700_000_000_000;

  const call = async (
    bot: FakeAccount,
    method: string,
    params: Record<string, unknown> = {},
  ): Promise<ApiAnswer> => {
    const res = await fetch(`${fake.apiRoot}/bot${bot.token}/${method}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(params),
    });
    const body = (await res.json()) as ApiAnswer;
    expect(res.status).toBe(body.ok ? 200 : body.error_code);
    return body;
  };

  beforeEach(async () => {
    clock = 1_700_000_000_000;
    fake = await FakeTelegramServer.start({ now: () => clock });
    orchestrator = fake.addBot('swarm_bot');
    agentBot = fake.addBot('designer_bot');
    alice = fake.addUser('Alice', 'alice');
    chat = fake.createChat('Swarm', { members: [alice, orchestrator, agentBot] });
  });
  afterEach(async () => {
    await fake.close();
  });

  it('answers getMe with privacy mode and 401 for an unknown token', async () => {
    const me = await call(orchestrator, 'getMe');
    expect(me.result).toMatchObject({
      id: orchestrator.id,
      is_bot: true,
      username: 'swarm_bot',
      can_read_all_group_messages: false,
    });
    const bad = await call({ ...orchestrator, token: '1:nope' }, 'getMe');
    expect(bad).toEqual({ ok: false, error_code: 401, description: 'Unauthorized' });
  });

  it('logs unknown methods and answers 404', async () => {
    const answer = await call(orchestrator, 'sendSticker', { chat_id: chat.id });
    expect(answer).toMatchObject({ ok: false, error_code: 404, description: 'Not Found' });
    expect(fake.stats().unknownCalls).toEqual(['sendSticker']);
  });

  it('long-polls until an update arrives and keeps updates until a higher offset confirms them', async () => {
    const polling = call(orchestrator, 'getUpdates', { timeout: 20 });
    await new Promise((r) => setTimeout(r, 50));
    const posted = fake.postAsUser(chat.id, alice.id, '/status@swarm_bot');
    const first = await polling;
    expect(first.result).toHaveLength(1);
    expect(first.result[0].message).toMatchObject({
      message_id: posted.messageId,
      text: '/status@swarm_bot',
      from: { id: alice.id },
    });
    const again = await call(orchestrator, 'getUpdates', { timeout: 0 });
    expect(again.result.map((u: { update_id: number }) => u.update_id)).toEqual([first.result[0].update_id]);
    const confirmed = await call(orchestrator, 'getUpdates', {
      offset: first.result[0].update_id + 1,
      timeout: 0,
    });
    expect(confirmed.result).toEqual([]);
  });

  it('getUpdates returns at most `limit` updates, oldest first, and the rest on the next call', async () => {
    const posted = ['one', 'two', 'three'].map((w) => fake.postAsUser(chat.id, alice.id, `/${w}@swarm_bot`));
    const ids = (answer: ApiAnswer): number[] =>
      (answer.result as Array<{ message: { message_id: number } }>).map((u) => u.message.message_id);
    const firstTwo = await call(orchestrator, 'getUpdates', { timeout: 0, limit: 2 });
    expect(ids(firstTwo)).toEqual([posted[0]!.messageId, posted[1]!.messageId]);
    const rest = await call(orchestrator, 'getUpdates', {
      timeout: 0,
      limit: 2,
      offset: firstTwo.result[1].update_id + 1,
    });
    expect(ids(rest)).toEqual([posted[2]!.messageId]);
    // The higher offset confirmed the first two: they are gone, the third is still there.
    const again = await call(orchestrator, 'getUpdates', { timeout: 0 });
    expect(ids(again)).toEqual([posted[2]!.messageId]);
  });

  it('keeps setMyCommands lists per scope and answers getMyCommands for exactly that scope', async () => {
    const menu = [{ command: 'status', description: 'Show the board' }];
    const chatScope = { type: 'chat', chat_id: chat.id };
    expect((await call(orchestrator, 'setMyCommands', { commands: menu, scope: chatScope })).result).toBe(
      true,
    );
    expect((await call(orchestrator, 'getMyCommands', { scope: chatScope })).result).toEqual(menu);
    expect(
      (await call(orchestrator, 'getMyCommands', { scope: { type: 'chat', chat_id: String(chat.id) } }))
        .result,
    ).toEqual(menu);
    expect((await call(orchestrator, 'getMyCommands')).result).toEqual([]);
    expect((await call(agentBot, 'getMyCommands', { scope: chatScope })).result).toEqual([]);
    const bad = await call(orchestrator, 'setMyCommands', {
      commands: [{ command: 'Status', description: 'x' }],
      scope: chatScope,
    });
    expect(bad).toMatchObject({
      ok: false,
      error_code: 400,
      description: 'Bad Request: BOT_COMMAND_INVALID',
    });
    const badScope = await call(orchestrator, 'getMyCommands', { scope: { type: 'everywhere' } });
    expect(badScope).toMatchObject({ ok: false, error_code: 400 });
    expect((await call(orchestrator, 'getMyCommands', { scope: chatScope })).result).toEqual(menu);
  });

  it('ends the older poller with 409 when a second one polls the same token', async () => {
    const older = call(orchestrator, 'getUpdates', { timeout: 20 });
    await new Promise((r) => setTimeout(r, 50));
    const newer = call(orchestrator, 'getUpdates', { timeout: 1 });
    const answer = await older;
    expect(answer).toMatchObject({ ok: false, error_code: 409 });
    expect(answer.description).toContain('Conflict: terminated by other getUpdates request');
    expect((await newer).ok).toBe(true);
    expect(fake.stats().conflicts).toBe(1);
  });

  it('applies privacy mode: a privacy bot sees its commands and replies, an admin bot sees everything, no bot sees bots', async () => {
    fake.setMemberStatus(chat.id, agentBot.id, 'administrator');
    fake.postAsUser(chat.id, alice.id, 'just chatting');
    fake.postAsUser(chat.id, alice.id, '/status@swarm_bot');
    fake.postAsUser(chat.id, alice.id, '/status@designer_bot');
    const own = await call(orchestrator, 'sendMessage', { chat_id: chat.id, text: 'question?' });
    clock += 2_000;
    fake.postAsUser(chat.id, alice.id, 'answer', { replyTo: own.result.message_id });
    fake.postAsUser(chat.id, alice.id, '/help');
    fake.postAsBot(chat.id, agentBot.id, '/status@swarm_bot');
    const texts = (bot: FakeAccount): string[] =>
      fake.world.pendingUpdates(bot.id).map((u) => String(u.message?.text));
    expect(texts(orchestrator)).toEqual(['/status@swarm_bot', 'answer', '/help']);
    expect(texts(agentBot)).toEqual([
      'just chatting',
      '/status@swarm_bot',
      '/status@designer_bot',
      'answer',
      '/help',
    ]);
  });

  it('validates HTML, keeps raw and rendered text, and refuses identical edits', async () => {
    const bad = await call(orchestrator, 'sendMessage', {
      chat_id: chat.id,
      text: 'a < b',
      parse_mode: 'HTML',
    });
    expect(bad).toMatchObject({
      error_code: 400,
      description: 'Bad Request: can\'t parse entities: Unsupported start tag "" at byte offset 2',
    });
    const sent = await call(orchestrator, 'sendMessage', {
      chat_id: chat.id,
      text: '<b>T-1</b>\na &lt; b',
      parse_mode: 'HTML',
    });
    clock += 2_000;
    const same = await call(orchestrator, 'editMessageText', {
      chat_id: chat.id,
      message_id: sent.result.message_id,
      text: '<b>T-1</b>\na &lt; b',
      parse_mode: 'HTML',
    });
    expect(same.description).toMatch(/^Bad Request: message is not modified/);
    const edited = await call(orchestrator, 'editMessageText', {
      chat_id: chat.id,
      message_id: sent.result.message_id,
      text: '<b>T-1</b>\ndone',
      parse_mode: 'HTML',
    });
    expect(edited.ok).toBe(true);
    const [line] = fake.transcript(chat.id);
    expect(line).toMatchObject({
      text: 'T-1\ndone',
      raw: '<b>T-1</b>\ndone',
      edits: ['T-1\na < b'],
      fromName: 'swarm_bot',
      isBot: true,
    });
  });

  it('detects mentions like Telegram and notifies the members they name', async () => {
    const bob = fake.addUser('Bob', 'bob_b');
    const outsider = fake.addUser('Olga', 'olga_outside');
    fake.setMemberStatus(chat.id, bob.id, 'member');
    const sent = await call(orchestrator, 'sendMessage', {
      chat_id: chat.id,
      text: 'hi @alice and (@Bob_B), @olga_outside, @nobody_here, mail bob@alice.com, @ab',
    });
    expect(sent.result.entities.map((e: { type: string }) => e.type)).toEqual([
      'mention',
      'mention',
      'mention',
      'mention',
    ]);
    expect(fake.mentions(chat.id).map((m) => [m.userId, m.type, m.viaEdit])).toEqual([
      [alice.id, 'mention', false],
      [bob.id, 'mention', false],
    ]);
    expect(fake.mentions().some((m) => m.userId === outsider.id)).toBe(false);
  });

  it('detects mentions after HTML parsing, not inside code, and turns tg://user links into text_mention', async () => {
    await call(orchestrator, 'sendMessage', {
      chat_id: chat.id,
      text: `<code>@alice</code> &#64;alice <a href="tg://user?id=${alice.id}">Al</a>`,
      parse_mode: 'HTML',
    });
    const [line] = fake.transcript(chat.id);
    expect(line!.entities.map((e) => e.type)).toEqual(['code', 'mention', 'text_mention']);
    expect(fake.mentions(chat.id).map((m) => m.type)).toEqual(['mention', 'text_mention']);
  });

  it('does not see a mention behind a word joiner, a letter, or the sender itself', async () => {
    await call(orchestrator, 'sendMessage', {
      chat_id: chat.id,
      text: '@\u2060alice x@alice é@alice @swarm_bot',
    });
    expect(fake.mentions(chat.id)).toEqual([]);
  });

  it('notifies on an edit that adds a mention', async () => {
    const sent = await call(orchestrator, 'sendMessage', { chat_id: chat.id, text: 'T-1 queued' });
    clock += 2_000;
    await call(orchestrator, 'editMessageText', {
      chat_id: chat.id,
      message_id: sent.result.message_id,
      text: 'T-1 for @alice',
    });
    expect(fake.mentions(chat.id)).toMatchObject([{ userId: alice.id, viaEdit: true }]);
  });

  it('answers 429 past one message a second per chat, counts it, and accepts again after the window', async () => {
    expect((await call(orchestrator, 'sendMessage', { chat_id: chat.id, text: 'one' })).ok).toBe(true);
    const limited = await call(orchestrator, 'sendMessage', { chat_id: chat.id, text: 'two' });
    expect(limited).toEqual({
      ok: false,
      error_code: 429,
      description: 'Too Many Requests: retry after 1',
      parameters: { retry_after: 1 },
    });
    // Another bot has its own budget.
    expect((await call(agentBot, 'sendMessage', { chat_id: chat.id, text: 'agent' })).ok).toBe(true);
    clock += 1_001;
    expect((await call(orchestrator, 'sendMessage', { chat_id: chat.id, text: 'two' })).ok).toBe(true);
    expect(fake.stats().tooManyRequests).toBe(1);
    expect(fake.stats().tooManyRequestsByBot).toEqual({ swarm_bot: 1 });
  });

  it('answers 429 past 20 messages a minute in a group', async () => {
    for (let i = 0; i < 20; i++) {
      expect((await call(orchestrator, 'sendMessage', { chat_id: chat.id, text: `m${i}` })).ok).toBe(true);
      clock += 1_500;
    }
    const limited = await call(orchestrator, 'sendMessage', { chat_id: chat.id, text: 'm20' });
    expect(limited.error_code).toBe(429);
    expect(limited.parameters!.retry_after).toBe(30);
  });

  it('forces 429s on demand', async () => {
    fake.force429({ retryAfterSeconds: 7, count: 2 });
    expect((await call(orchestrator, 'sendMessage', { chat_id: chat.id, text: 'x' })).parameters).toEqual({
      retry_after: 7,
    });
    expect((await call(orchestrator, 'getChat', { chat_id: chat.id })).error_code).toBe(429);
    expect((await call(orchestrator, 'sendMessage', { chat_id: chat.id, text: 'x' })).ok).toBe(true);
    expect(fake.stats().tooManyRequests).toBe(2);
  });

  it('answers a migrated basic group with migrate_to_chat_id', async () => {
    const group = fake.createChat('Old group', { type: 'group', members: [alice, orchestrator] });
    const newId = fake.migrateToSupergroup(group.id);
    const answer = await call(orchestrator, 'sendMessage', { chat_id: group.id, text: 'hi' });
    expect(answer).toEqual({
      ok: false,
      error_code: 400,
      description: 'Bad Request: group chat was upgraded to a supergroup chat',
      parameters: { migrate_to_chat_id: newId },
    });
    expect((await call(orchestrator, 'getChat', { chat_id: newId })).result).toMatchObject({
      id: newId,
      type: 'supergroup',
    });
  });

  it('replies and forum topics: reply_parameters, message_thread_id, missing targets', async () => {
    const forum = fake.createChat('Forum', { isForum: true, members: [alice, orchestrator] });
    const topic = fake.createTopic(forum.id, 'swarm');
    const main = await call(orchestrator, 'sendMessage', {
      chat_id: forum.id,
      message_thread_id: topic,
      text: 'main',
    });
    expect(main.result).toMatchObject({ message_thread_id: topic, is_topic_message: true });
    clock += 2_000;
    const missing = await call(orchestrator, 'sendMessage', {
      chat_id: forum.id,
      text: 'x',
      reply_parameters: { message_id: 999 },
    });
    expect(missing.description).toBe('Bad Request: message to be replied not found');
    const allowed = await call(orchestrator, 'sendMessage', {
      chat_id: forum.id,
      text: 'detail',
      message_thread_id: topic,
      reply_parameters: { message_id: main.result.message_id, allow_sending_without_reply: true },
    });
    expect(allowed.result.reply_to_message.message_id).toBe(main.result.message_id);
    const noTopic = await call(orchestrator, 'sendMessage', {
      chat_id: forum.id,
      text: 'x',
      message_thread_id: 4242,
    });
    expect(noTopic.description).toBe('Bad Request: message thread not found');
    const lines = fake.transcript(forum.id).filter((l) => l.service === undefined);
    expect(lines.map((l) => [l.text, l.threadId, l.replyTo])).toEqual([
      ['main', topic, undefined],
      ['detail', topic, main.result.message_id],
    ]);
  });

  it('parses multipart documents with attach:// references', async () => {
    const form = new FormData();
    form.set('chat_id', String(chat.id));
    form.set('caption', '<b>out</b>put');
    form.set('parse_mode', 'HTML');
    form.set('document', 'attach://f1');
    form.set('f1', new Blob([Buffer.from('line 1\n')]), 'output.txt');
    const res = await fetch(`${fake.apiRoot}/bot${orchestrator.token}/sendDocument`, {
      method: 'POST',
      body: form,
    });
    const body = (await res.json()) as ApiAnswer;
    expect(body.result).toMatchObject({
      caption: 'output',
      document: { file_name: 'output.txt', file_size: 7 },
    });
    expect(fake.transcript(chat.id)[0]!.document!.content.toString()).toBe('line 1\n');
  });

  it('goes down and comes back on the same port with its state', async () => {
    fake.postAsUser(chat.id, alice.id, '/status@swarm_bot');
    const port = fake.port;
    await fake.goDown();
    await expect(fetch(`${fake.apiRoot}/bot${orchestrator.token}/getMe`)).rejects.toThrow();
    await fake.goUp();
    expect(fake.port).toBe(port);
    const updates = await call(orchestrator, 'getUpdates', { timeout: 0 });
    expect(updates.result).toHaveLength(1);
  });
});
