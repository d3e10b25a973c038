import { afterEach, describe, expect, it } from 'vitest';
import type { IncomingMessage } from '../../../src/chat/chat-port.ts';
import { ChatError } from '../../../src/core/errors.ts';
import { waitFor } from '../../contract/message-collector.ts';
import { createTelegramFixture, type TelegramFixture } from './telegram-fixture.ts';

let fx: TelegramFixture;
let nonce = 0;
const n = (): string => `t-${++nonce}`;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

afterEach(async () => {
  await fx.close();
  expect(fx.fake.stats().unknownCalls).toEqual([]);
  const text = fx.log.text();
  for (const token of [fx.orchestrator.token!, fx.agentBot.token!]) expect(text).not.toContain(token);
});

const collect = (): { messages: IncomingMessage[]; handler: (m: IncomingMessage) => Promise<void> } => {
  const messages: IncomingMessage[] = [];
  return { messages, handler: async (m) => void messages.push(m) };
};
const userLines = () => fx.fake.transcript(fx.chat.id).filter((l) => l.service === undefined);

describe('telegram channel: sending', () => {
  it('splits text over the limit into messages that each fit, returning the first', async () => {
    fx = await createTelegramFixture();
    const port = fx.channel();
    const text = Array.from({ length: 600 }, (_, i) => `line ${i} <x> & y`).join('\n');
    const sent = await port.send({ heading: 'T-1 result', text, nonce: n() });
    const lines = userLines();
    expect(lines.length).toBe(3);
    expect(lines[0]!.messageId).toBe(Number(sent.messageId));
    for (const l of lines) expect(l.text.length).toBeLessThanOrEqual(4_096);
    expect(lines.map((l) => l.text).join('\n')).toBe(`T-1 result\n${text}`);
  });

  it('sends very long text as a document with a caption', async () => {
    fx = await createTelegramFixture();
    const port = fx.channel({ documentThreshold: 5_000 });
    const text = 'y'.repeat(6_000);
    const sent = await port.send({
      heading: 'T-2 done',
      text,
      under: { messageId: '999', taskId: 'T-2', title: 'x' },
      nonce: n(),
    });
    const [line] = userLines();
    expect(line!.messageId).toBe(Number(sent.messageId));
    expect(line!.document!.fileName).toBe('T-2.txt');
    expect(line!.document!.content.toString()).toBe(text);
    expect(line!.text.startsWith('T-2 done\nyyy')).toBe(true);
    // A text edit of a document message changes its caption.
    await port.edit(sent, { heading: 'T-2 done (edited)', text: 'short' });
    expect(userLines()[0]!.text).toBe('T-2 done (edited)\nshort');
  });

  it('posts in the configured forum topic, replies under the task, and listens only to that topic', async () => {
    fx = await createTelegramFixture();
    const forum = fx.fake.createChat('Forum', {
      isForum: true,
      members: [fx.alice, { account: fx.orchestrator, status: 'administrator' }],
    });
    const topic = fx.fake.createTopic(forum.id, 'swarm');
    const port = fx.channel({ chatId: forum.id, topicId: topic });
    const inbox = collect();
    await port.start(inbox.handler);
    const main = await port.send({ heading: 'T-1 queued', text: 'task', nonce: n() });
    const detail = await port.send({
      text: 'detail',
      under: { messageId: main.messageId, taskId: 'T-1', title: 't' },
      nonce: n(),
    });
    expect(main.threadId).toBe(String(topic));
    expect(detail.threadId).toBe(String(topic));
    const lines = fx.fake.transcript(forum.id).filter((l) => l.service === undefined);
    expect(lines.map((l) => [l.threadId, l.replyTo])).toEqual([
      [topic, undefined],
      [topic, Number(main.messageId)],
    ]);
    fx.fake.postAsUser(forum.id, fx.alice.id, 'in general');
    const inTopic = fx.fake.postAsUser(forum.id, fx.alice.id, '/status', { threadId: topic });
    const got = await waitFor(
      'topic message',
      () => inbox.messages.find((m) => m.messageId === String(inTopic.messageId)),
      10_000,
    );
    expect(got).toMatchObject({ threadId: String(topic), text: '/status' });
    expect(got.replyToMessageId).toBeUndefined();
    expect(inbox.messages.map((m) => m.text)).toEqual(['/status']);
  });

  it('follows a group that migrated to a supergroup and warns', async () => {
    fx = await createTelegramFixture();
    const group = fx.fake.createChat('Old', { type: 'group', members: [fx.alice, fx.orchestrator] });
    const newId = fx.fake.migrateToSupergroup(group.id);
    const port = fx.channel({ chatId: group.id });
    expect(port.destination).toBe(`telegram:${group.id}`);
    const sent = await port.send({ text: 'after migration', nonce: n() });
    expect(port.chatId).toBe(String(newId));
    // Another chat, numbering its messages afresh: the orchestrator archives what the old one held.
    expect(port.destination).toBe(`telegram:${newId}`);
    expect(fx.fake.transcript(newId).find((l) => l.messageId === Number(sent.messageId))!.text).toBe(
      'after migration',
    );
    expect(fx.log.lines.some((l) => l.level === 'warn' && l.msg.includes('upgraded to a supergroup'))).toBe(
      true,
    );
  });

  it('after the upgrade, does not repeat in the supergroup an edit or reply naming a group message', async () => {
    fx = await createTelegramFixture();
    for (const call of ['edit', 'reply'] as const) {
      const group = fx.fake.createChat(`Old ${call}`, {
        type: 'group',
        members: [fx.alice, fx.orchestrator],
      });
      const port = fx.channel({ chatId: group.id });
      const inGroup = await port.send({ text: 'task message in the group', nonce: n() });
      const newId = fx.fake.migrateToSupergroup(group.id);
      // The supergroup numbers afresh: a message there may carry the group message's id.
      fx.fake.postAsUser(newId, fx.alice.id, 'hello');
      const err = await (
        call === 'edit'
          ? port.edit({ messageId: inGroup.messageId }, { text: 'edited' })
          : port.send({
              text: 'a detail',
              nonce: n(),
              under: { messageId: inGroup.messageId, taskId: 'T-1', title: 't' },
            })
      ).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ChatError);
      expect(err).toMatchObject({ permanent: false });
      expect(port.destination).toBe(`telegram:${newId}`);
      const texts = fx.fake.transcript(newId).map((l) => l.text);
      expect(texts).toContain('hello');
      expect(texts.filter((t) => t === 'edited' || t === 'a detail')).toEqual([]);
    }
  });

  it('treats a permanent error as permanent, with the description', async () => {
    fx = await createTelegramFixture();
    const port = fx.channel({ chatId: -100_999 });
    const err = await port.send({ text: 'x', nonce: n() }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ChatError);
    expect(err).toMatchObject({ permanent: true, platformCode: 400 });
    expect((err as ChatError).message).toContain('chat not found');
  });
});

describe('telegram channel: rate limits', () => {
  it('a burst of sends and edits from two bots produces no 429', async () => {
    fx = await createTelegramFixture();
    const port = fx.channel();
    const sends = Array.from({ length: 24 }, (_, i) =>
      port.send({ text: `burst ${i}`, nonce: n(), ...(i % 3 === 0 ? { speaker: 'reviewer-001' } : {}) }),
    );
    const sent = await Promise.all(sends);
    await Promise.all(sent.slice(0, 8).map((s, i) => port.edit(s, { text: `burst edited ${i}` })));
    expect(fx.fake.stats().tooManyRequests).toBe(0);
    const lines = userLines();
    expect(lines).toHaveLength(24);
    // One bot's posts keep their order.
    const ownTexts = lines
      .filter((l) => l.fromId === fx.orchestrator.id)
      .map((l) => Number(/\d+/.exec(l.edits[0] ?? l.text)![0]));
    expect(ownTexts).toEqual([...ownTexts].sort((a, b) => a - b));
  });

  it('a 429 becomes a transient ChatError with retryAfterMs, and holds the chat until retry_after', async () => {
    fx = await createTelegramFixture();
    const port = fx.channel();
    fx.fake.force429({ retryAfterSeconds: 3, count: 1, methods: ['sendMessage'] });
    const err = await port.send({ text: 'first', nonce: n() }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ChatError);
    expect(err).toMatchObject({ permanent: false, retryAfterMs: 3_000, platformCode: 429 });
    const callsAfter429 = fx.fake.stats().calls.sendMessage;
    let secondDone = false;
    const second = port.send({ text: 'second', nonce: n() }).then((s) => {
      secondDone = true;
      return s;
    });
    // Well inside the 3 s hold nothing else may reach the server for this chat.
    await sleep(500);
    expect(secondDone).toBe(false);
    expect(fx.fake.stats().calls.sendMessage).toBe(callsAfter429);
    await second;
    expect(userLines().map((l) => l.text)).toEqual(['second']);
    expect(fx.fake.stats().tooManyRequests).toBe(1);
  });
});

describe('telegram channel: receiving', () => {
  it('in privacy mode (not admin) gets /cmd@bot and replies to its messages, with the bot username', async () => {
    fx = await createTelegramFixture({ orchestratorAdmin: false });
    const port = fx.channel();
    const inbox = collect();
    await port.start(inbox.handler);
    const question = await port.send({ speaker: 'designer-001', text: 'Which colour?', nonce: n() });
    fx.fake.postAsUser(fx.chat.id, fx.alice.id, 'chatter the bot never sees');
    fx.fake.postAsUser(fx.chat.id, fx.alice.id, '/status@swarm_bot T-1');
    fx.fake.postAsUser(fx.chat.id, fx.alice.id, '/status@reviewer_bot');
    const answer = fx.fake.postAsUser(fx.chat.id, fx.alice.id, 'blue', {
      replyTo: Number(question.messageId),
    });
    await waitFor(
      'answer',
      () => inbox.messages.find((m) => m.messageId === String(answer.messageId)),
      10_000,
    );
    expect(inbox.messages.map((m) => [m.text, m.replyToMessageId, m.botUsername])).toEqual([
      ['/status@swarm_bot T-1', undefined, 'swarm_bot'],
      ['blue', question.messageId, 'swarm_bot'],
    ]);
  });

  it('survives an outage: sends fail transiently, polling resumes and delivers what was posted meanwhile, once, in order', async () => {
    fx = await createTelegramFixture();
    const port = fx.channel();
    const inbox = collect();
    await port.start(inbox.handler);
    const before = fx.fake.postAsUser(fx.chat.id, fx.alice.id, 'before');
    await waitFor(
      'before',
      () => inbox.messages.find((m) => m.messageId === String(before.messageId)),
      10_000,
    );
    await fx.fake.goDown();
    const during = ['/cancel T-1', '/retry T-2', '/status'].map((t) =>
      fx.fake.postAsUser(fx.chat.id, fx.alice.id, t),
    );
    const err = await port.send({ text: 'while down', nonce: n() }).catch((e: unknown) => e);
    expect(err).toMatchObject({ permanent: false });
    expect(String((err as Error).message)).not.toContain(fx.orchestrator.token!);
    await waitFor('a failed poll', () => fx.log.lines.find((l) => l.msg.includes('polling failed')), 10_000);
    await fx.fake.goUp();
    const last = during[during.length - 1]!;
    await waitFor(
      'backlog',
      () => inbox.messages.find((m) => m.messageId === String(last.messageId)),
      15_000,
    );
    const after = fx.fake.postAsUser(fx.chat.id, fx.alice.id, 'after');
    await waitFor('after', () => inbox.messages.find((m) => m.messageId === String(after.messageId)), 10_000);
    expect(inbox.messages.map((m) => m.text)).toEqual([
      'before',
      '/cancel T-1',
      '/retry T-2',
      '/status',
      'after',
    ]);
    expect(fx.log.lines.some((l) => l.msg.includes('polling resumed'))).toBe(true);
    expect((await port.send({ text: 'back', nonce: n() })).messageId).toBeDefined();
  });

  it('reports a second poller on the token (409) as an error and backs off instead of spinning', async () => {
    fx = await createTelegramFixture();
    const port = fx.channel();
    const inbox = collect();
    await port.start(inbox.handler);
    await sleep(100);
    // Another process polls the same token for a while.
    const other = async (): Promise<void> => {
      for (let i = 0; i < 3; i++) {
        await fetch(`${fx.fake.apiRoot}/bot${fx.orchestrator.token}/getUpdates`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ timeout: 1 }),
        }).then((r) => r.text());
      }
    };
    await other();
    const conflictLog = fx.log.lines.find((l) => l.level === 'error' && l.msg.includes('409 Conflict'));
    expect(conflictLog).toBeDefined();
    // Three seconds of contention: a spinning poller would have made hundreds of calls.
    expect(fx.fake.stats().calls.getUpdates!).toBeLessThan(20);
    const msg = fx.fake.postAsUser(fx.chat.id, fx.alice.id, 'still listening');
    await waitFor(
      'delivery after conflict',
      () => inbox.messages.find((m) => m.messageId === String(msg.messageId)),
      15_000,
    );
  });

  it('start fails with a permanent error for a revoked token, without the token in it', async () => {
    fx = await createTelegramFixture();
    const bad = '7000000099:AAbadbadbadbadbadbadbadbadbadbadbad';
    const port = fx.channel({ token: bad });
    const err = await port.start(async () => {}).catch((e: unknown) => e);
    expect(err).toMatchObject({ permanent: true, platformCode: 401 });
    expect(JSON.stringify({ m: (err as Error).message, s: (err as Error).stack })).not.toContain(bad);
  });
});

describe('telegram channel: cleanup', () => {
  it('stop() leaves no sockets or timers behind', async () => {
    const count = (): number =>
      process
        .getActiveResourcesInfo()
        .filter((r) => r === 'TCPSocketWrap' || r === 'TCPServerWrap' || r === 'Timeout').length;
    const baseline = count();
    fx = await createTelegramFixture();
    const port = fx.channel();
    await port.start(async () => {});
    await port.send({ text: 'one', nonce: n() });
    await port.send({ speaker: 'reviewer-001', text: 'two', nonce: n() });
    await port.stop();
    await fx.fake.close();
    await waitFor('resources released', () => (count() <= baseline ? true : undefined), 5_000);
  });
});
